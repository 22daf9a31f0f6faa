/**
 * `npm run bench:repositories [-- --namespaces 200 --repositories 50 --resync 15s]`: the Repository controller at
 * scale on the local control plane. Every Repository selects every application namespace (by label, with the
 * `default` ServiceAccount to patch), so each namespace gets one pull Secret whose robot may pull all of them.
 * Everything is declared before the operator starts; then it reports the time to converge from operator start,
 * API writes per synced Secret, writes during resyncs at steady state (target: zero), the operator's RSS, and how
 * fast a namespace created at that scale gets its Secret. Prints a Markdown table.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/shared/duration.js';
import { rssKiB } from '../process-stats.js';
import { REPO_ROOT, startControlPlane, startOperatorChild, total, writesByVerb, type ControlPlane, type OperatorChild } from './control-plane.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LABEL = 'bench.berth.dev/pull';
const TEAMS = 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Every team may deliver into every namespace: the Registry's owners grant it (deliveries elsewhere need consent). */
const BENCH_TENANCY = { pullSecretGrants: [{ namespaces: ['*'], targetNamespaces: ['*'] }] };

function objects(namespaces: number, repositories: number): Obj[] {
  const list: Obj[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'berth' } }];
  list.push({ apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name: 'reg', namespace: 'berth' }, spec: { expose: { host: 'registry.bench.test:5000' }, tenancy: BENCH_TENANCY } });
  for (let i = 0; i < namespaces; i++) list.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `app-${pad(i, 3)}`, labels: { [LABEL]: 'yes' } } });
  for (let t = 0; t < TEAMS; t++) list.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${pad(t, 2)}` } });
  for (let r = 0; r < repositories; r++) {
    const team = `team-${pad(r % TEAMS, 2)}`;
    list.push({
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'Repository',
      metadata: { name: `repo-${pad(r, 2)}`, namespace: team },
      spec: {
        registryRef: { name: 'reg', namespace: 'berth' },
        path: `${team}/repo-${pad(r, 2)}`,
        pullSecret: { namespaceSelector: { matchLabels: { [LABEL]: 'yes' } }, serviceAccounts: ['default'] },
      },
    });
  }
  return list;
}

async function countPullSecrets(cp: ControlPlane): Promise<number> {
  const out = await cp.kubectl(['get', 'secrets', '-A', '-l', 'app.kubernetes.io/component=pull-secret', '-o', 'name']);
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

async function syncedRepositories(cp: ControlPlane, namespaces: number): Promise<number> {
  const list = JSON.parse(await cp.kubectl(['get', 'repositories', '-A', '-o', 'json'])) as { items: Obj[] };
  return list.items.filter((r) => {
    const c = r.status?.conditions?.find((x: Obj) => x.type === 'CredentialsSynced');
    return c?.status === 'True' && r.status.syncedNamespaces === namespaces;
  }).length;
}

/** Waits until every Secret and every Repository status is in place; returns the milliseconds since `start`. */
async function converge(cp: ControlPlane, start: number, namespaces: number, repositories: number): Promise<number> {
  for (;;) {
    if ((await countPullSecrets(cp)) === namespaces && (await syncedRepositories(cp, namespaces)) === repositories) return Date.now() - start;
    if (Date.now() - start > 15 * 60_000) throw new Error('did not converge within 15 minutes');
    await sleep(500);
  }
}

async function defaultServiceAccounts(cp: ControlPlane, namespaces: number): Promise<void> {
  for (;;) {
    const out = await cp.kubectl(['get', 'serviceaccounts', '-A', '--field-selector', 'metadata.name=default', '-o', 'name']);
    if (out.split('\n').filter((l) => l.trim() !== '').length >= namespaces + TEAMS + 2) return;
    await sleep(500);
  }
}

async function steadyStateWrites(op: OperatorChild, resyncMs: number): Promise<{ writes: number; reconciles: number; windowMs: number }> {
  let last = -1;
  for (;;) {
    const now = total(await writesByVerb(op));
    if (now === last) break;
    last = now;
    await sleep(3000);
  }
  const reconciles = await op.metric('berth_operator_reconciles_total', { controller: 'repository' });
  const windowMs = 2 * resyncMs + 2000;
  await sleep(windowMs);
  return {
    writes: total(await writesByVerb(op)) - last,
    reconciles: (await op.metric('berth_operator_reconciles_total', { controller: 'repository' })) - reconciles,
    windowMs,
  };
}

async function newNamespaceMs(cp: ControlPlane, namespaces: number): Promise<number> {
  const name = `app-${pad(namespaces, 3)}`;
  const start = Date.now();
  await cp.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [LABEL]: 'yes' } } }));
  for (;;) {
    const found = await cp.kubectl(['get', 'secret', 'reg-pull', '-n', name, '--ignore-not-found', '-o', 'name']);
    if (found.trim() !== '') return Date.now() - start;
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { namespaces: { type: 'string' }, repositories: { type: 'string' }, resync: { type: 'string' } } });
  const namespaces = Number(values.namespaces ?? 200);
  const repositories = Number(values.repositories ?? 50);
  const resyncMs = parseDuration(values.resync ?? '15s') ?? 15_000;
  console.log(`Repository benchmark: ${namespaces} namespaces × ${repositories} Repositories on ${cpus().length} CPUs (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  const cp = await startControlPlane();
  let op: OperatorChild | undefined;
  try {
    await cp.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'deploy', 'crds')]);
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/registries.berth.dev', 'crd/repositories.berth.dev']);
    const kubeconfig = await cp.operatorKubeconfig();
    await cp.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects(namespaces, repositories) }));
    await defaultServiceAccounts(cp, namespaces);
    const start = Date.now();
    op = await startOperatorChild(kubeconfig, ['--image', 'berth:bench', '--resync-period', `${resyncMs}ms`]);
    const convergeMs = await converge(cp, start, namespaces, repositories);
    const writes = await writesByVerb(op);
    const rss = rssKiB(op.child.pid!);
    const steady = await steadyStateWrites(op, resyncMs);
    const lateMs = await newNamespaceMs(cp, namespaces);
    const rssAfter = rssKiB(op.child.pid!);
    console.log(
      [
        '',
        '| Measure | Value |',
        '|---|---|',
        `| Converge from operator start (${namespaces} pull Secrets, ${repositories} statuses) | ${(convergeMs / 1000).toFixed(1)} s |`,
        `| API writes until converged | ${total(writes)} (create ${writes.create}, patch ${writes.patch}, update ${writes.update}, delete ${writes.delete}) |`,
        `| API writes per synced Secret | ${(total(writes) / namespaces).toFixed(2)} |`,
        `| Writes during resyncs at steady state (${(steady.windowMs / 1000).toFixed(0)} s, ${steady.reconciles} reconciles) | ${steady.writes} |`,
        `| A namespace created at this scale gets its Secret in | ${lateMs} ms |`,
        `| Operator RSS converged / after | ${(rss / 1024).toFixed(0)} MiB / ${(rssAfter / 1024).toFixed(0)} MiB |`,
        '',
      ].join('\n'),
    );
  } finally {
    await op?.stop();
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:repositories: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
