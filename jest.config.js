/**
 * Jest runs the TypeScript sources as ESM through ts-jest (type checking is `npm run typecheck`).
 *
 * Three projects: every test, on the default (filesystem) storage driver; then the registry request tables and the
 * OCI conformance suites once more on the in-memory driver (`BERTH_TEST_STORAGE=memory`, read by the helpers in
 * test/helpers), so a store that leans on a filesystem quirk fails there; and once more, with the real-client tests,
 * on the S3 driver against a versitygw server each test file starts (`BERTH_TEST_STORAGE=s3`).
 */
const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
};

/** The tests that run on every storage driver. */
const ON_EVERY_DRIVER = ['push', 'pull', 'manifests', 'bad-input', 'conformance'].map(
  (name) => `<rootDir>/test/integration/registry/${name}.test.ts`,
);

export default {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    { ...base, displayName: 'all', testMatch: ['<rootDir>/test/**/*.test.ts'] },
    {
      ...base,
      displayName: 'memory storage',
      testMatch: ON_EVERY_DRIVER,
      setupFiles: ['<rootDir>/test/helpers/memory-storage.setup.ts'],
    },
    {
      ...base,
      displayName: 's3 storage',
      // and the real clients (skopeo, podman, crane, oras, regctl, ctr) against `berth serve` on S3, and GC
      testMatch: [
        ...ON_EVERY_DRIVER,
        '<rootDir>/test/integration/registry/clients.test.ts',
        // garbage collection's tables, lease and races on the bucket
        '<rootDir>/test/integration/registry/storage/gc.test.ts',
        '<rootDir>/test/integration/registry/gc-load.test.ts',
      ],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/s3-storage.setup.ts'],
    },
  ],
};
