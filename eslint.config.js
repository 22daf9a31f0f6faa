import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The boundaries of src/ (README, "Architecture"): src/shared and src/kube are used by both sides and import
 * neither; src/registry never imports src/operator, and src/operator never imports src/registry (what both read
 * lives in src/shared). Relative specifiers are matched per folder depth, since src/operator has a registry/
 * folder of its own.
 */
const up = (depth) => '^' + '\\.\\./'.repeat(depth);
function patterns(folder, others, depth) {
  return others.map((other) => ({
    regex: `${up(depth)}${other}(/|$)`,
    message: `src/${folder} must not import src/${other} (see the README's Architecture section).`,
  }));
}
function forbid(folder, others, maxDepth = 4) {
  return Array.from({ length: maxDepth }, (_, i) => {
    const depth = i + 1;
    const glob = `src/${folder}/${'*/'.repeat(i)}*.ts`;
    return {
      files: [glob],
      rules: { 'no-restricted-imports': ['error', { patterns: patterns(folder, others, depth) }] },
    };
  });
}

/** The stores see storage drivers only through the interface in driver.ts; index.ts alone picks a driver. */
const storesUseTheDriverInterface = {
  files: ['src/registry/storage/*.ts'],
  ignores: ['src/registry/storage/index.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...patterns('registry', ['operator', 'cli'], 2),
          { regex: '^\\./drivers/', message: 'stores use the StorageDriver interface (driver.ts), never a driver.' },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  ...forbid('registry', ['operator', 'cli']),
  storesUseTheDriverInterface,
  ...forbid('operator', ['registry', 'cli']),
  ...forbid('kube', ['registry', 'operator', 'cli']),
  ...forbid('shared', ['registry', 'operator', 'kube', 'cli']),
);
