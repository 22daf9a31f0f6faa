/**
 * Two operator processes with leader election on a real Lease: exactly one reconciles; after `kill -9` of the
 * leader the other takes over within 20 s; a leader stopped with SIGTERM hands over at once.
 */
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startOperator, type OperatorProcess } from './helpers/operator-process.js';
import { applyCrds, operatorKubeconfig, OPERATOR_NAMESPACE } from './helpers/service-account.js';
import { sleep, waitFor } from './helpers/wait.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'le';
let cluster: Cluster;
let kubeconfig: string;
const operators = new Map<string, OperatorProcess>();

function start(identity: string): Promise<OperatorProcess> {
  return startOperator(kubeconfig, ['--image', 'berth:test', '--leader-elect', '--leader-election-namespace', OPERATOR_NAMESPACE, '--identity', identity]).then(
    (op) => {
      operators.set(identity, op);
      return op;
    },
  );
}

beforeAll(async () => {
  cluster = await startCluster();
  await applyCrds(cluster);
  kubeconfig = await operatorKubeconfig(cluster);
  await cluster.kubectl(['create', 'namespace', NS]);
}, 15 * 60_000);

afterAll(async () => {
  for (const op of operators.values()) await op.stop();
  await cluster?.stop();
});

const holder = async (): Promise<string> =>
  (await cluster.getJson(['lease', 'berth-operator', '-n', OPERATOR_NAMESPACE])).spec.holderIdentity ?? '';

async function apply(name: string): Promise<void> {
  const manifest = { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace: NS }, spec: {} };
  await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify(manifest) });
}

function reconciled(name: string, timeoutMs = 20_000): Promise<Obj> {
  return waitFor(`${name} reconciled`, async () => {
    const r = await cluster.getJson(['registry', name, '-n', NS]);
    return r.status?.observedGeneration === r.metadata.generation ? r : undefined;
  }, timeoutMs);
}

test('two processes: exactly one holds the Lease and reconciles; the other stands by, ready', async () => {
  const a = await start('op-a');
  await waitFor('op-a to lead', async () => (await holder()) === 'op-a');
  const b = await start('op-b');
  await apply('one');
  await reconciled('one');
  await sleep(3000);
  expect(await holder()).toBe('op-a');
  expect(await a.metric('berth_operator_leader')).toBe(1);
  expect(await b.metric('berth_operator_leader')).toBe(0);
  expect(await a.metric('berth_operator_reconciles_total')).toBeGreaterThan(0);
  expect(await b.metric('berth_operator_reconciles_total')).toBe(0);
  expect(await b.metric('berth_operator_api_requests_total', { verb: 'watch' })).toBe(0);
  expect((await b.get('/readyz')).status).toBe(200);
});

test('after kill -9 of the leader the standby takes over within 20 s', async () => {
  const killedAt = Date.now();
  await operators.get('op-a')!.stop('SIGKILL');
  await apply('two');
  await waitFor('op-b to lead', async () => (await holder()) === 'op-b', 20_000, 200);
  await reconciled('two', 20_000 - (Date.now() - killedAt));
  const takeoverMs = Date.now() - killedAt;
  console.log(`leader takeover after kill -9: ${takeoverMs} ms`);
  expect(takeoverMs).toBeLessThan(20_000);
  expect(await operators.get('op-b')!.metric('berth_operator_leader')).toBe(1);
});

test('a leader stopped with SIGTERM releases the Lease, so a standby takes over at once', async () => {
  const c = await start('op-c');
  await sleep(1000);
  expect(await c.metric('berth_operator_leader')).toBe(0);
  const stoppedAt = Date.now();
  expect(await operators.get('op-b')!.stop('SIGTERM')).toBe(0);
  await waitFor('op-c to lead', async () => (await holder()) === 'op-c', 10_000, 100);
  expect(Date.now() - stoppedAt).toBeLessThan(5000);
  await apply('three');
  await reconciled('three');
});
