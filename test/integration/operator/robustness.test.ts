/**
 * The operator under faults of a real control plane: watches that go silent (half-open connections), the API
 * server killed and restarted mid-watch, and writes that fail with 5xx and 409 (from an admission webhook the
 * API server calls). The operator talks to the API server through a loopback TCP proxy that can freeze
 * connections.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startOperator, type OperatorProcess } from './helpers/operator-process.js';
import { applyCrds, operatorKubeconfig, OPERATOR_NAMESPACE, OPERATOR_SA } from './helpers/service-account.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { sleep, waitFor } from './helpers/wait.js';
import { startFlakyWebhook } from './helpers/webhook.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'robust';
let cluster: Cluster;
let proxy: TcpProxy;
let operator: OperatorProcess;

beforeAll(async () => {
  cluster = await startCluster();
  await applyCrds(cluster);
  const saKubeconfig = await operatorKubeconfig(cluster);
  proxy = await startTcpProxy(Number(new URL(cluster.server).port));
  const viaProxy = parseYaml(readFileSync(saKubeconfig, 'utf8'));
  viaProxy.clusters[0].cluster.server = `https://127.0.0.1:${proxy.port}`;
  const proxied = join(cluster.dir, 'operator-via-proxy.kubeconfig');
  await writeFile(proxied, stringify(viaProxy), { mode: 0o600 });
  await cluster.kubectl(['create', 'namespace', NS]);
  operator = await startOperator(proxied, ['--image', 'berth:test', '--watch-silence-timeout', '3s']);
}, 15 * 60_000);

afterAll(async () => {
  await operator?.stop();
  await proxy?.close();
  await cluster?.stop();
});

async function apply(name: string, spec: object, namespace = NS): Promise<void> {
  const manifest = { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace }, spec };
  await cluster.kubectl(['apply', '--server-side', '--field-manager', 'test', '-f', '-'], { input: JSON.stringify(manifest) });
}

function converged(name: string, timeoutMs: number, namespace = NS): Promise<Obj> {
  return waitFor(
    `status of ${name}`,
    async () => {
      const r = await cluster.getJson(['registry', name, '-n', namespace]);
      return r.status?.observedGeneration === r.metadata.generation ? r : undefined;
    },
    timeoutMs,
  );
}

test('a watch that goes silent (a half-open connection) is reopened, and changes are seen again', async () => {
  await apply('before', {});
  await converged('before', 20_000);
  const silentBefore = await operator.metric('berth_operator_watch_restarts_total', { reason: 'silent' });
  proxy.freezeExisting();
  await apply('after-freeze', {});
  await converged('after-freeze', 30_000);
  expect(await operator.metric('berth_operator_watch_restarts_total', { reason: 'silent' })).toBeGreaterThan(silentBefore);
});

test('the API server killed and restarted mid-watch: the operator stays up, relists after 410 Gone and converges', async () => {
  const errorsBefore = await operator.metric('berth_operator_watch_restarts_total', { reason: 'error' });
  const goneBefore = await operator.metric('berth_operator_watch_restarts_total', { reason: 'gone' });
  const pid = await cluster.script('pid', 'kube-apiserver');
  expect(pid).toMatch(/^\d+$/);
  process.kill(Number(pid), 'SIGKILL');
  await sleep(3000);
  expect((await operator.get('/healthz')).status).toBe(200);
  await cluster.script('start');
  await apply('before', { auth: { tokenTtl: '30m' } });
  await apply('after-restart', {});
  const changed = await converged('before', 40_000);
  expect(changed.metadata.generation).toBe(2);
  await converged('after-restart', 40_000);
  const config = await cluster.getJson(['secret', 'before-config', '-n', NS]);
  expect(Buffer.from(config.data['config.yaml'], 'base64').toString()).toMatch(/tokenTtl: 30m/);
  expect(await operator.metric('berth_operator_watch_restarts_total', { reason: 'error' })).toBeGreaterThan(errorsBefore);
  // The restarted API server's watch cache starts at the current revision: resuming an older watch gets
  // 410 Gone, and the informers relist.
  expect(await operator.metric('berth_operator_watch_restarts_total', { reason: 'gone' })).toBeGreaterThan(goneBefore);
});

test('writes refused with 500 and 409 are retried with growing delays until they succeed', async () => {
  await cluster.kubectl(['create', 'namespace', 'flaky']);
  await cluster.kubectl(['label', 'namespace', 'flaky', 'berth-test/flaky=true']);
  const user = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SA}`;
  const webhook = await startFlakyWebhook(cluster, user, [500, 500, 409, 500, 409]);
  try {
    const errorsBefore = await operator.metric('berth_operator_reconcile_errors_total');
    await apply('flaky', {}, 'flaky');
    await waitFor('the Deployment', () => cluster.getJson(['deployment', 'flaky', '-n', 'flaky']), 40_000);
    expect(webhook.calls.slice(0, 6).map((c) => c.code)).toEqual([500, 500, 409, 500, 409, 200]);
    const gaps = webhook.calls.slice(1, 6).map((c, i) => c.at - webhook.calls[i]!.at);
    // Backoff 0.5 s, 1 s, 2 s, 4 s (each up to 20 % shorter); the first retry may come sooner when the
    // children created by the failed reconcile woke the key again.
    expect(gaps[4]!).toBeGreaterThan(2 * gaps[2]!);
    expect(gaps[4]!).toBeGreaterThanOrEqual(3000);
    expect(await operator.metric('berth_operator_reconcile_errors_total')).toBeGreaterThanOrEqual(errorsBefore + 5);
    const r = await converged('flaky', 20_000, 'flaky');
    expect(r.status.conditions.find((c: Obj) => c.type === 'Degraded')).toMatchObject({ status: 'False' });
  } finally {
    await webhook.close();
  }
});
