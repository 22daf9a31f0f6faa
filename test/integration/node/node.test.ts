/**
 * The real node of `npm run dev:cluster -- --node`: it becomes Ready, runs a pod from an image built here and
 * imported into its containerd, routes a ClusterIP Service to it, binds a PVC from the default StorageClass
 * (local-path-provisioner) that a pod writes to, lets a pod reach the API server through the `kubernetes`
 * Service, and leaves nothing behind on the host when stopped.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCluster, type Cluster } from '../operator/helpers/cluster.js';
import { waitFor } from '../operator/helpers/wait.js';
import { applyIn, importProbeImage, probePod, secondsBetween, waitForPhase } from './helpers/node.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile);
const NS = 'smoke';
const IMAGE = 'berth.local/node-smoke:v1';
let cluster: Cluster;

beforeAll(async () => {
  const started = Date.now();
  cluster = await startCluster({ node: true });
  console.log(`node: control plane + node cold start ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await importProbeImage(cluster, IMAGE);
  await cluster.kubectl(['create', 'namespace', NS]);
}, 20 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const logs = (pod: string): Promise<string> => cluster.kubectl(['logs', '-n', NS, pod]);

it('registers a Ready node', async () => {
  const node: Obj = await cluster.getJson(['node', cluster.node!.name]);
  const ready = node.status.conditions.find((c: Obj) => c.type === 'Ready');
  expect(ready.status).toBe('True');
});

it('runs a pod from an imported image and routes a ClusterIP Service to it', async () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  };
  await applyIn(cluster, NS, service, probePod('web', IMAGE, ['serve', '8080', 'hello from the node'], { labels: { app: 'web' } }));
  const web = await waitForPhase(cluster, NS, 'web', ['Running']);
  const running = web.status.containerStatuses[0].state.running.startedAt as string;
  console.log(`node: pod created -> container running ${secondsBetween(web.metadata.creationTimestamp, running)} s`);
  const clusterIp: string = (await cluster.getJson(['service', 'web', '-n', NS])).spec.clusterIP;
  await waitFor('the Service to have a ready endpoint', async () => {
    const slices: Obj = await cluster.getJson(['endpointslices', '-n', NS, '-l', 'kubernetes.io/service-name=web']);
    return slices.items.some((s: Obj) => s.endpoints?.some((e: Obj) => e.conditions?.ready));
  }, 60_000, 250);

  await applyIn(cluster, NS, probePod('client', IMAGE, ['get', `http://${clusterIp}/`], { restartPolicy: 'Never' }));
  await waitForPhase(cluster, NS, 'client', ['Succeeded']);
  expect(await logs('client')).toContain('hello from the node from web');
}, 180_000);

it('binds a PVC from the default StorageClass, and a pod writes to the volume', async () => {
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
  };
  const writer = probePod('writer', IMAGE, ['write', '/data/hello.txt', 'written by a pod'], {
    restartPolicy: 'Never',
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
    mounts: [{ name: 'data', mountPath: '/data' }],
  });
  await applyIn(cluster, NS, pvc, writer);
  await waitForPhase(cluster, NS, 'writer', ['Succeeded'], 180_000);

  const claim: Obj = await cluster.getJson(['pvc', 'data', '-n', NS]);
  expect(claim.status.phase).toBe('Bound');
  expect(claim.spec.storageClassName).toBe('local-path');
  const pv: Obj = await cluster.getJson(['pv', claim.spec.volumeName]);
  const hostDir: string = pv.spec.hostPath?.path ?? pv.spec.local.path;
  expect(await readFile(join(hostDir, 'hello.txt'), 'utf8')).toBe('written by a pod');
}, 240_000);

it('lets a pod reach the API server through the kubernetes Service with its service account', async () => {
  await applyIn(cluster, NS, probePod('api', IMAGE, ['api'], { restartPolicy: 'Never' }));
  await waitForPhase(cluster, NS, 'api', ['Succeeded']);
  const out = await logs('api');
  expect(out).toContain('https://10.0.0.1:443/');
  expect(out).toContain('"username":"system:serviceaccount:smoke:default"');
}, 180_000);

it('stops cleanly: no bridge, no KUBE- iptables chains, no node processes', async () => {
  const dir = cluster.dir;
  await cluster.stop();
  await expect(run('ip', ['link', 'show', 'berth0'])).rejects.toThrow();
  const { stdout: rules } = await run('iptables-save');
  expect(rules).not.toMatch(/KUBE-/);
  const { stdout: ps } = await run('ps', ['-eo', 'args']);
  expect(ps.split('\n').filter((line) => line.includes(dir))).toEqual([]);
}, 120_000);
