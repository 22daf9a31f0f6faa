import { mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { filePolicySource, followPolicy, type PolicyFollower } from '../../../src/registry/auth/policy-source.js';
import { captureLogger } from './capture-logger.js';
import { counter, makeStore, tempDir } from './fixtures.js';
import { PolicyStore } from '../../../src/registry/auth/policy-store.js';
import { createAuthMetrics } from '../../../src/registry/auth/metrics.js';
import { createMetrics } from '../../../src/registry/metrics.js';

const rule = (repo: string) => `version: 1\nrules:\n  - { repositories: [${repo}], principals: [everyone], actions: [pull] }\n`;
const mayPull = (store: PolicyStore, repo: string) => store.current.actionsFor({ kind: 'anonymous' }, repo).includes('pull');

async function eventually(check: () => boolean, withinMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

let follower: PolicyFollower | undefined;
afterEach(() => follower?.close());

async function setup(watchFolder: boolean, file?: string) {
  const dir = await tempDir('berth-policy-');
  const path = file ?? join(dir, 'policy.yaml');
  await writeFile(path, rule('first'));
  const metrics = createMetrics(false);
  const authMetrics = createAuthMetrics(metrics.registry);
  const { logger, lines } = captureLogger();
  const store = PolicyStore.create(rule('first'), path, { logger, metrics: authMetrics });
  follower = followPolicy(filePolicySource(path, logger, { watchFolder, pollMs: 1000 }), store);
  await new Promise((r) => setTimeout(r, 100)); // let the first poll establish its baseline
  return { dir, path, store, lines, registry: metrics.registry };
}

async function atomicWrite(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

describe.each([
  ['fs.watch on the folder', true],
  ['stat polling only', false],
])('hot reload through %s', (_name, watchFolder) => {
  test('an atomic rename and an in-place write are both picked up within 2 s', async () => {
    const { path, store } = await setup(watchFolder);
    expect(mayPull(store, 'first')).toBe(true);
    await atomicWrite(path, rule('second'));
    await eventually(() => mayPull(store, 'second'), 2000);
    expect(mayPull(store, 'first')).toBe(false);
    await writeFile(path, rule('third'));
    await eventually(() => mayPull(store, 'third'), 2000);
  });

  test('an invalid file changes nothing; it is logged and counted; a fixed file is then taken', async () => {
    const { path, store, lines, registry } = await setup(watchFolder);
    const before = store.current;
    await atomicWrite(path, 'rules: [{ repositories: [x], principals: [everyone], actions: [push] }]\n');
    await eventually(() => lines.some((l) => l.includes('access policy refused')), 2000);
    expect(store.current).toBe(before);
    expect(await counter(registry, 'berth_auth_policy_reloads_total', 'outcome="failure"')).toBe(1);
    expect(lines.find((l) => l.includes('access policy refused'))).toContain('everyone (anonymous callers included) may only be granted pull');
    await atomicWrite(path, rule('fixed'));
    await eventually(() => mayPull(store, 'fixed'), 2000);
    expect(await counter(registry, 'berth_auth_policy_reloads_total', 'outcome="success"')).toBe(2);
  });

  test('a deleted file keeps the old policy; its return is picked up', async () => {
    const { path, store, lines } = await setup(watchFolder);
    await unlink(path);
    await eventually(() => lines.some((l) => l.includes('access policy unreadable')), 2000);
    expect(mayPull(store, 'first')).toBe(true);
    await atomicWrite(path, rule('back'));
    await eventually(() => mayPull(store, 'back'), 2000);
  });
});

test('a Kubernetes-style Secret volume update (symlinked ..data swapped) is picked up within 2 s', async () => {
  const dir = await tempDir('berth-secretvol-');
  await mkdir(join(dir, '..v1'));
  await writeFile(join(dir, '..v1', 'policy.yaml'), rule('first'));
  await symlink('..v1', join(dir, '..data'));
  await symlink('..data/policy.yaml', join(dir, 'policy.yaml'));
  const { store } = await setup(true, join(dir, 'policy.yaml'));
  // what the kubelet's atomic writer does: new timestamped folder, new ..data link renamed over the old one
  await mkdir(join(dir, '..v2'));
  await writeFile(join(dir, '..v2', 'policy.yaml'), rule('second'));
  await symlink('..v2', join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  await rm(join(dir, '..v1'), { recursive: true });
  const took = await eventually(() => mayPull(store, 'second'), 2000);
  expect(took).toBeLessThan(2000);
});

test('the same text again is not a reload', () => {
  const { store } = makeStore(rule('same'));
  expect(store.update(rule('same'), 'x')).toEqual({ ok: true, changed: false });
  expect(store.update(rule('other'), 'x')).toEqual({ ok: true, changed: true });
  expect(store.update('', 'x')).toMatchObject({ ok: false });
});
