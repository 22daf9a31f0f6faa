/**
 * The operator process: health and metrics server, optional leader election, informers, and the controllers.
 * Only the leader starts informers and reconciles; a standby waits for the Lease and reports ready meanwhile.
 * `stop()` (SIGTERM) lets reconciles in flight finish, stops the watches, releases the Lease and closes the server.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../shared/logger.js';
import { ApiClient } from '../kube/api-client.js';
import { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/objects.js';
import type { Controller } from './runtime/controller.js';
import { KubeEventRecorder } from './runtime/events.js';
import { startHealthServer } from './runtime/health-server.js';
import type { Informer } from '../kube/informer.js';
import { LeaderElector, type LeaderElectionOptions } from './runtime/leader-election.js';
import { createOperatorMetrics, type OperatorMetrics } from './runtime/metrics.js';
import { createRegistryController } from './registry/controller.js';
import { createRepositoryController } from './repository/controller.js';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Watch one namespace only; undefined: all namespaces. */
  watchNamespace?: string;
  /** Image for Registries without spec.image. */
  defaultImage?: string;
  /** host:port of /healthz, /readyz and /metrics. */
  metricsAddr: string;
  /** Undefined: no leader election (a single replica). */
  leaderElection?: Pick<LeaderElectionOptions, 'namespace' | 'name' | 'identity' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
  resyncPeriodMs: number;
  workers: number;
  watchSilenceTimeoutMs: number;
  /** How long shutdown waits for reconciles in flight. */
  shutdownTimeoutMs?: number;
}

export interface RunningOperator {
  /** Where /healthz, /readyz and /metrics answer. */
  address: string;
  metrics: OperatorMetrics;
  /** Resolves with the exit code: 0 after stop(), 1 when leadership was lost or startup failed. */
  finished: Promise<number>;
  stop(): Promise<number>;
}

type Phase = 'standby' | 'syncing' | 'running' | 'stopping';

export async function startOperator(o: OperatorOptions): Promise<RunningOperator> {
  const metrics = createOperatorMetrics();
  const client = await ApiClient.create(o.kubeConfig, (verb, code) => metrics.apiRequests.inc({ verb, code: String(code) }));
  const api = new KubeApi(client);
  const identity = o.leaderElection?.identity ?? `berth-operator-${process.pid}`;
  const common = {
    api,
    events: new KubeEventRecorder(api, identity, o.logger),
    logger: o.logger,
    metrics,
    watchNamespace: o.watchNamespace,
    workers: o.workers,
    resyncPeriodMs: o.resyncPeriodMs,
    watchSilenceTimeoutMs: o.watchSilenceTimeoutMs,
  };
  const parts = [createRegistryController({ ...common, defaultImage: o.defaultImage }), createRepositoryController(common)];
  const controllers = parts.map((p) => p.controller);
  const informers = parts.flatMap((p) => p.informers);
  let phase: Phase = o.leaderElection ? 'standby' : 'syncing';
  const server = await startHealthServer(
    o.metricsAddr,
    {
      healthy: () => (phase === 'stopping' ? 'shutting down' : undefined),
      ready: () => (phase === 'running' || phase === 'standby' ? undefined : phase),
    },
    metrics.registry,
  );
  o.logger.info('listening', { address: server.address, apiServer: client.server, namespace: o.watchNamespace ?? '(all)' });
  const stopping = new AbortController();
  const elector = o.leaderElection && new LeaderElector({ ...o.leaderElection, api, logger: o.logger });
  const run = async (): Promise<number> => {
    if (elector && !(await elector.acquire(stopping.signal))) return 0;
    metrics.leader.set(1);
    phase = 'syncing';
    for (const informer of informers) informer.start();
    await Promise.race([Promise.all(informers.map((i) => i.waitForSync())), aborted(stopping.signal)]);
    if (stopping.signal.aborted) return 0;
    phase = 'running';
    o.logger.info('caches synced, reconciling', { informers: informers.length });
    const work = Promise.all(controllers.map((c) => c.run(stopping.signal)));
    if (!elector) return work.then(() => 0);
    const kept = await elector.holdUntil(stopping.signal);
    if (!kept) stopping.abort();
    await work;
    return kept ? 0 : 1;
  };
  const finished = run()
    .catch((err: unknown) => {
      o.logger.error('operator failed', { error: (err as Error).message });
      return 1;
    })
    .then((code) => shutdown(code, { controllers, informers, elector, server, client, metrics, o, stopping }))
    .finally(() => (phase = 'stopping'));
  const stop = async (): Promise<number> => {
    phase = 'stopping';
    stopping.abort();
    return finished;
  };
  return { address: server.address, metrics, finished, stop };
}

interface Parts {
  controllers: Controller[];
  informers: Informer<KubeObject>[];
  elector: LeaderElector | undefined;
  server: { close(): Promise<void> };
  client: ApiClient;
  metrics: OperatorMetrics;
  o: OperatorOptions;
  stopping: AbortController;
}

async function shutdown(code: number, p: Parts): Promise<number> {
  p.stopping.abort();
  const timeout = p.o.shutdownTimeoutMs ?? 20_000;
  await Promise.race([Promise.all(p.controllers.map((c) => c.queue.whenIdle())), new Promise((r) => setTimeout(r, timeout).unref())]);
  await Promise.all(p.informers.map((i) => i.stop()));
  await p.elector?.release();
  p.metrics.leader.set(0);
  await p.server.close();
  p.client.close();
  p.o.logger.info('stopped', { exitCode: code });
  return code;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
