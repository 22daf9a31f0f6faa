/**
 * The registry a client or conformance test runs against: `berth serve` by default (on the storage driver
 * `BERTH_TEST_STORAGE` names: filesystem, or memory), or Debian's
 * `docker-registry` (CNCF Distribution 2.8) with `BERTH_TEST_REGISTRY=distribution`, which is how the tests
 * themselves were validated against the reference implementation. What differs between the two is stated as
 * data ({@link RegistryUnderTest.referrersApi}), so a test asserts the right behaviour for each.
 */
import { rm } from 'node:fs/promises';
import type { StorageDriverName } from '../../src/shared/registry-config.js';
import { startBerth } from './berth-process.js';
import { startDistribution } from './distribution-process.js';
import { storageConfigFile, storageDriverFromEnv } from './storage-env.js';

export const REGISTRY_KINDS = ['berth', 'distribution'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

export interface RegistryUnderTest {
  kind: RegistryKind;
  /** Berth's storage driver (Distribution: always its filesystem driver). */
  storage: StorageDriverName;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, as clients name the registry. */
  host: string;
  /** Whether the server implements `GET /v2/<name>/referrers/<digest>` (Distribution 2.8 does not). */
  referrersApi: boolean;
  stop(): Promise<void>;
}

/** The kind named by `BERTH_TEST_REGISTRY` (default `berth`). */
export function registryKindFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryKind {
  const value = env.BERTH_TEST_REGISTRY ?? 'berth';
  const kind = REGISTRY_KINDS.find((k) => k === value);
  if (!kind) throw new Error(`BERTH_TEST_REGISTRY must be one of ${REGISTRY_KINDS.join(', ')}, not "${value}"`);
  return kind;
}

/**
 * Starts a fresh registry of `kind` on a free loopback port over an empty temporary directory (Berth: on the
 * `storage` driver); `stop()` removes what it made.
 */
export async function startRegistryUnderTest(
  kind: RegistryKind = registryKindFromEnv(),
  storage: StorageDriverName = storageDriverFromEnv(),
): Promise<RegistryUnderTest> {
  if (kind === 'distribution') {
    const d = await startDistribution();
    return { kind, storage: 'filesystem', url: d.url, host: d.host, referrersApi: false, stop: () => d.stop() };
  }
  const config = storage === 'filesystem' ? undefined : await storageConfigFile(storage);
  const removeConfig = async () => {
    if (config) await rm(config.dir, { recursive: true, force: true });
  };
  const b = await startBerth({ config: config?.file }).catch(async (err: unknown) => {
    await removeConfig();
    throw err;
  });
  const stop = async () => {
    await b.stop();
    await rm(b.storage, { recursive: true, force: true });
    await removeConfig();
  };
  return { kind, storage, url: b.url, host: b.host, referrersApi: true, stop };
}
