/**
 * Registry.spec.gc and the report channel on a real control plane: the operator renders spec.gc into the registry
 * config and makes the report ConfigMap; a real `berth serve`, started from that rendered config and authenticated
 * as the registry's own ServiceAccount, collects garbage and publishes the run; the operator shows it in
 * Registry.status.gc and records an Event. The registry's Role lets it patch that ConfigMap and nothing else, and a
 * document that is not valid is ignored by the operator.
 */
import { jest } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applyObject, REGISTRY, REGISTRY_NS, secretText, startAccessEnv, startRenderedRegistry, type AccessEnv } from './helpers/access-env.js';
import { waitFor } from './helpers/wait.js';
import type { BerthProcess } from '../../helpers/berth-process.js';

jest.setTimeout(180_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let env: AccessEnv;
let berth: BerthProcess | undefined;
let storage: string;
const SA = `system:serviceaccount:${REGISTRY_NS}:${REGISTRY}-registry`;
const REPORT = `${REGISTRY}-report`;

const registryObj = (gc: object) => ({
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'Registry',
  metadata: { name: REGISTRY, namespace: REGISTRY_NS },
  spec: { expose: { host: env.host }, gc },
});
const getRegistry = (): Promise<Obj> => env.cluster.getJson(['registry', REGISTRY, '-n', REGISTRY_NS]);
const renderedConfig = async (): Promise<Obj> =>
  parseYaml(secretText(await env.cluster.getJson(['secret', `${REGISTRY}-config`, '-n', REGISTRY_NS]), 'config.yaml')) as Obj;
const gcEvents = async (): Promise<Obj[]> =>
  (await env.cluster.getJson(['events', '-n', REGISTRY_NS, '--field-selector', `involvedObject.name=${REGISTRY},involvedObject.kind=Registry`])).items.filter(
    (e: Obj) => e.reason === 'GarbageCollected' || e.reason === 'GarbageCollectionFailed',
  );

/** Writes an unreferenced blob into the store, an hour old (as if left by an image deleted long ago). */
async function orphanBlob(bytes: Buffer): Promise<string> {
  const hex = createHash('sha256').update(bytes).digest('hex');
  const path = join(storage, 'blobs', 'sha256', hex.slice(0, 2), hex);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  const hourAgo = new Date(Date.now() - 3_600_000);
  await utimes(path, hourAgo, hourAgo);
  return path;
}

beforeAll(async () => {
  env = await startAccessEnv();
  storage = await mkdtemp(join(tmpdir(), 'berth-gc-store-'));
}, 15 * 60_000);

afterAll(async () => {
  await berth?.stop();
  await env?.stop();
  await rm(storage, { recursive: true, force: true });
});

test('spec.gc is rendered into storage.gc, with the report section naming the ConfigMap the operator made', async () => {
  await applyObject(env.cluster, registryObj({ interval: '6h', gracePeriod: '2h', untagged: { policy: 'Delete', olderThan: '7d' } }));
  const config = await waitFor('storage.gc in the rendered config', async () => {
    const c = await renderedConfig();
    return c.storage?.gc?.interval === '6h' ? c : undefined;
  });
  expect(config.storage.gc).toEqual({ interval: '6h', gracePeriod: '2h', untagged: { olderThan: '7d' } });
  expect(config.report).toEqual({ configMap: { namespace: REGISTRY_NS, name: REPORT } });
  const cm = await env.cluster.getJson(['configmap', REPORT, '-n', REGISTRY_NS]);
  expect(cm.metadata.ownerReferences[0]).toMatchObject({ kind: 'Registry', name: REGISTRY, controller: true });

  await applyObject(env.cluster, registryObj({ enabled: false }));
  await waitFor('no storage.gc once disabled', async () => (await renderedConfig()).storage?.gc === undefined);

  await applyObject(env.cluster, registryObj({ interval: '10s' }));
  await waitFor('an interval under 1m is refused as InvalidSpec', async () => {
    const degraded = (await getRegistry()).status?.conditions?.find((c: Obj) => c.type === 'Degraded');
    return degraded?.reason === 'InvalidSpec' && degraded.message.includes('spec.gc.interval "10s" must be a duration of at least 1m');
  });
  await applyObject(env.cluster, registryObj({}));
  await waitFor('gc: {} renders the defaults', async () => (await renderedConfig()).storage?.gc?.interval === '24h');
});

test("the registry pods' ServiceAccount may get and patch the report ConfigMap, and nothing more", async () => {
  // kubectl auth can-i prints yes or no, and exits 1 on no
  const can = async (...args: string[]): Promise<string> =>
    (await env.cluster.kubectl(['auth', 'can-i', ...args, '-n', REGISTRY_NS, '--as', SA]).catch((e: Error) => e.message)).trim().split(/\s+/).at(-1)!;
  expect(await can('get', `configmap/${REPORT}`)).toBe('yes');
  expect(await can('patch', `configmap/${REPORT}`)).toBe('yes');
  expect(await can('create', 'configmaps')).toBe('no');
  expect(await can('delete', `configmap/${REPORT}`)).toBe('no');
  expect(await can('patch', 'configmap/other')).toBe('no');
  expect(await can('list', 'configmaps')).toBe('no');
});

test('a GC run of a real berth serve shows in Registry.status.gc and as an Event', async () => {
  const orphans = [await orphanBlob(randomBytes(1000)), await orphanBlob(randomBytes(2000))];
  // the rendered config as is (report section, credentials of the registry's ServiceAccount), with a test-sized
  // interval and grace period instead of the CRD's minimum of 1m. The report writer keeps only the newest document
  // of a key between writes (minInterval, 10s by default), and the usage report is written first at the start: with
  // runs closer together than that, the run that deleted the orphans would be replaced by a later one that deleted
  // nothing before it was written. So writes may be 500 ms apart here, and runs are 4 s apart.
  ({ berth } = await startRenderedRegistry(env, {
    storage,
    edit: (c) => ({
      ...c,
      report: { ...c.report, minInterval: '500ms' },
      storage: { ...c.storage, gc: { ...c.storage.gc, interval: '4s', gracePeriod: '1s' } },
    }),
  }));
  const event = await waitFor('a GarbageCollected Event naming the two orphans', async () =>
    (await gcEvents()).find((e) => e.type === 'Normal' && e.message.startsWith('garbage collection deleted 2 blob(s) (2.9 KiB)')),
  30_000);
  expect(event.source?.component ?? event.reportingComponent).toBe('berth-operator');
  for (const path of orphans) await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  const lastRun = await waitFor('status.gc.lastRun', async () => (await getRegistry()).status?.gc?.lastRun);
  expect(lastRun).toMatchObject({ result: 'Succeeded', errors: 0 });
  expect(Date.parse(lastRun.completionTime)).toBeGreaterThanOrEqual(Date.parse(lastRun.startTime));
  const published = JSON.parse((await env.cluster.getJson(['configmap', REPORT, '-n', REGISTRY_NS])).data['gc.json']);
  expect(published.lastRun.result).toBe('Succeeded');
  expect(published.reporter).toEqual(expect.any(String));
  await berth.stop();
  berth = undefined;
});

test('an invalid report document is ignored: the status keeps the last valid run, and the operator keeps working', async () => {
  const before = (await getRegistry()).status.gc.lastRun;
  const events = (await gcEvents()).length;
  await env.cluster.kubectl(['patch', 'configmap', REPORT, '-n', REGISTRY_NS, '--type', 'merge', '-p', JSON.stringify({ data: { 'gc.json': '{"lastRun":{"result":"Exploded"}}' } })]);
  // the operator is alive and reconciling: a spec change still reaches the rendered config
  await applyObject(env.cluster, registryObj({ interval: '12h' }));
  await waitFor('the next spec change applied', async () => (await renderedConfig()).storage?.gc?.interval === '12h');
  expect((await getRegistry()).status.gc.lastRun).toEqual(before);
  expect((await gcEvents()).length).toBe(events);
  expect(env.operator.logs.some((l) => l.message === 'ignoring an invalid report document')).toBe(true);
});
