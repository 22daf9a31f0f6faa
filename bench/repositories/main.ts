/**
 * `npm run bench:repositories [-- --quick | --namespaces 1000 --repositories 100 --registries 100 --resync 15s]
 *   [--heap-snapshots DIR]`:
 * the operator at issue 15's scale on the local control plane.
 * 1. Repositories: every Repository selects every application namespace (by label, with the `default`
 *    ServiceAccount to patch), so each namespace gets one pull Secret whose robot may pull all of them. Everything
 *    is declared before the operator starts; then it reports the time to converge from operator start, API writes
 *    per synced Secret, writes during resyncs at steady state, how fast a namespace created at that scale gets its
 *    Secret, and the operator's RSS and heap.
 * 2. Fleet: Registries in namespaces of their own are added (the benchmark's Registry counts as one), a fresh
 *    operator starts, and the same figures are taken with every Registry reconciled.
 * Then what the informers cache, set by set. Prints each figure with its target (`targets.ts`) as Markdown.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PROPAGATION_DELAY_MS } from '../../src/operator/access/reconcile.js';
import { rssKiB } from '../process-stats.js';
import { convergedRegistries, fleetObjects } from './fleet.js';
import { cachedSets, codeBaseline, renderMemory } from './memory.js';
import { parseRepositoryBenchArgs } from './options.js';
import { renderRows, targetRows, type Figures } from './targets.js';
import { heapSnapshot, REPO_ROOT, startControlPlane, startOperatorChild, total, writesByVerb, type ControlPlane, type OperatorChild } from './control-plane.js';

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
  for (let i = 0; i < namespaces; i++) list.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `app-${pad(i, 4)}`, labels: { [LABEL]: 'yes' } } });
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

/** Waits until the operator's writes stop, then counts the writes of two resync periods. */
async function steadyStateWrites(op: OperatorChild, resyncMs: number): Promise<{ writes: number; reconciles: number; windowMs: number }> {
  let last = -1;
  for (;;) {
    const now = total(await writesByVerb(op));
    if (now === last) break;
    last = now;
    await sleep(3000);
  }
  const reconciles = await op.metric('berth_operator_reconciles_total');
  const windowMs = 2 * resyncMs + 2000;
  await sleep(windowMs);
  return {
    writes: total(await writesByVerb(op)) - last,
    reconciles: (await op.metric('berth_operator_reconciles_total')) - reconciles,
    windowMs,
  };
}

async function newNamespaceMs(cp: ControlPlane, namespaces: number): Promise<number> {
  const name = `app-${pad(namespaces, 4)}`;
  const start = Date.now();
  await cp.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [LABEL]: 'yes' } } }));
  for (;;) {
    const found = await cp.kubectl(['get', 'secret', 'reg-pull', '-n', name, '--ignore-not-found', '-o', 'name']);
    if (found.trim() !== '') return Date.now() - start;
    await sleep(100);
  }
}

/** RSS (from /proc) and V8 heap used (the operator's own metric), in MiB. */
async function memory(op: OperatorChild): Promise<{ rssMiB: number; heapMiB: number }> {
  return { rssMiB: rssKiB(op.child.pid!) / 1024, heapMiB: (await op.metric('berth_operator_nodejs_heap_size_used_bytes')) / 2 ** 20 };
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

async function waitForFleet(cp: ControlPlane, registries: number, start: number): Promise<number> {
  for (;;) {
    const { total: all, converged } = await convergedRegistries(cp);
    if (all === registries && converged === registries) return Date.now() - start;
    if (Date.now() - start > 15 * 60_000) throw new Error(`${converged} of ${registries} Registries converged in 15 minutes`);
    await sleep(500);
  }
}

async function main(): Promise<void> {
  const { namespaces, repositories, registries, resyncMs, heapSnapshots } = parseRepositoryBenchArgs(process.argv.slice(2));
  console.log(`Operator benchmark: ${namespaces} namespaces × ${repositories} Repositories, then ${registries} Registries, on ${cpus().length} CPUs (load ${load()})`);
  const cp = await startControlPlane();
  let op: OperatorChild | undefined;
  const opArgs = ['--image', 'berth:bench', '--resync-period', `${resyncMs}ms`];
  try {
    await cp.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'deploy', 'crds')]);
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/registries.berth.dev', 'crd/repositories.berth.dev']);
    const kubeconfig = await cp.operatorKubeconfig();
    await cp.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects(namespaces, repositories) }));
    await defaultServiceAccounts(cp, namespaces);
    let start = Date.now();
    op = await startOperatorChild(kubeconfig, opArgs, heapSnapshots);
    const convergeMs = await converge(cp, start, namespaces, repositories);
    const writes = await writesByVerb(op);
    console.log(`repositories converged in ${(convergeMs / 1000).toFixed(1)} s (load ${load()}); writes ${JSON.stringify(writes)}`);
    const steady = await steadyStateWrites(op, resyncMs);
    const lateMs = await newNamespaceMs(cp, namespaces);
    const mem = await memory(op);
    if (heapSnapshots) console.log(`heap snapshot: ${await heapSnapshot(op, heapSnapshots)}`);
    console.log(`repositories steady: ${steady.writes} writes in ${steady.reconciles} reconciles; RSS ${mem.rssMiB.toFixed(0)} MiB, heap ${mem.heapMiB.toFixed(0)} MiB (load ${load()})`);
    const figures: Figures = {
      namespaces,
      repositories,
      convergeMs,
      propagationWaitMs: DEFAULT_PROPAGATION_DELAY_MS,
      writesUntilConverged: total(writes),
      steadyWrites: steady.writes,
      steadyWindowMs: steady.windowMs,
      newNamespaceMs: lateMs,
      ...mem,
    };
    if (registries > 1) {
      await op.stop();
      op = undefined;
      await cp.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: fleetObjects(registries - 1) }));
      start = Date.now();
      op = await startOperatorChild(kubeconfig, opArgs, heapSnapshots);
      const fleetMs = await waitForFleet(cp, registries, start);
      const fleetWrites = total(await writesByVerb(op));
      const fleetSteady = await steadyStateWrites(op, resyncMs);
      const fleetMem = await memory(op);
      if (heapSnapshots) console.log(`heap snapshot: ${await heapSnapshot(op, heapSnapshots)}`);
      console.log(`fleet: ${registries} Registries converged in ${(fleetMs / 1000).toFixed(1)} s; steady ${fleetSteady.writes} writes in ${fleetSteady.reconciles} reconciles; RSS ${fleetMem.rssMiB.toFixed(0)} MiB, heap ${fleetMem.heapMiB.toFixed(0)} MiB (load ${load()})`);
      figures.fleet = { registries, convergeMs: fleetMs, writesUntilConverged: fleetWrites, steadyWrites: fleetSteady.writes, steadyWindowMs: fleetSteady.windowMs, ...fleetMem };
    }
    const sets = await cachedSets(cp);
    console.log(['', renderRows(targetRows(figures)), '', `Load average at the end: ${load()}`, '', renderMemory(sets, await codeBaseline()), ''].join('\n'));
  } finally {
    await op?.stop();
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:repositories: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
