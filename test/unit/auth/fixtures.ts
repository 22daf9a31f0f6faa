/** Shared fixtures for the auth unit tests: real keys, a real policy, real metrics (no mocks). */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '../../../src/registry/metrics.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { hashRobotSecret } from '../../../src/shared/policy-secrets.js';
import { buildKeySet, loadSigningKey, type KeySet } from '../../../src/registry/auth/keys.js';
import { createAuthMetrics } from '../../../src/registry/auth/metrics.js';
import { PolicyStore } from '../../../src/registry/auth/policy-store.js';
import type { TokenSettings } from '../../../src/registry/auth/tokens.js';

export const ROBOT_SECRET = 'berth_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
export const OLD_ROBOT_SECRET = 'berth_OLD3456789abcdefghijklmnopqrstuvwxyzABCDEFG';
/** scrypt (ln=10 to keep tests fast) of "alice-password". */
export const ALICE_PASSWORD = 'alice-password';

export async function tempDir(prefix = 'berth-auth-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A signing key written to a temp file and loaded the way the server does. */
export async function makeKeys(): Promise<KeySet> {
  const dir = await tempDir();
  const { key } = await loadSigningKey(join(dir, 'signing-key.pem'));
  return buildKeySet(key, []);
}

export async function makeSettings(keys?: KeySet): Promise<TokenSettings> {
  return { issuer: 'berth-test', service: 'registry.test', tokenTtlS: 300, keys: keys ?? (await makeKeys()) };
}

export function policyText(alicePasswordHash: string, extra = ''): string {
  return `version: 1
users:
  - name: alice
    passwordHash: ${JSON.stringify(alicePasswordHash)}
robots:
  - name: ci
    secrets:
      - hash: ${hashRobotSecret(ROBOT_SECRET)}
      - hash: ${hashRobotSecret(OLD_ROBOT_SECRET)}
        expires: 2001-01-01T00:00:00Z
  - name: retired
    secrets:
      - hash: ${hashRobotSecret(ROBOT_SECRET + 'R')}
    expires: 2001-01-01T00:00:00Z
rules:
  - repositories: [team/**]
    principals: [user:alice]
    actions: ['*']
  - repositories: [team/app]
    principals: [robot:ci, robot:retired]
    actions: [pull]
  - repositories: [public/*]
    principals: [everyone]
    actions: [pull]
catalog: [user:alice]
${extra}`;
}

export function makeStore(text: string) {
  const metrics = createMetrics(false);
  const authMetrics = createAuthMetrics(metrics.registry);
  const store = PolicyStore.create(text, 'test', { logger: silentLogger(), metrics: authMetrics });
  return { store, metrics: authMetrics, registry: metrics.registry };
}

export async function counter(registry: { getSingleMetricAsString(name: string): Promise<string> }, name: string, labels: string): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

export function foreignKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export async function writeText(file: string, text: string): Promise<void> {
  await writeFile(file, text);
}
