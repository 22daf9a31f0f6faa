/**
 * The operator process: health and metrics server, optional leader election, one shared informer factory, and the
 * two controllers. Only the leader starts informers and reconciles; a standby waits for the Lease and reports ready
 * meanwhile. `stop()` (SIGTERM) lets reconciles in flight finish, stops the watches, releases the Lease and closes
 * the server.
 *
 * How the two controllers divide a Registry (one owner per object, one writer per field):
 * - the Registry controller (`registry/`) owns every object that belongs to the Registry: its config, signing key
 *   and policy Secrets, the registry pods' ServiceAccount, Role and RoleBinding, the claim, Service, Deployment and
 *   Ingress, and the Registry's status. It applies them in one reconcile, the pods' identity before the Deployment.
 *   It creates the policy Secret with an empty policy and afterwards applies only its metadata, never its data;
 * - the access controller (`access/`) owns what Repositories ask for: the content of the policy Secret (the one
 *   key it applies, as its own field manager `berth-access`), the Registry's credential store, the pull and push
 *   Secrets and ServiceAccount entries in other namespaces, and the Repositories' finalizers and status.
 * Both are keyed by Registry and may reconcile the same Registry at the same time, since they write disjoint
 * objects and fields; within one controller the work queue never hands out a key while it is being reconciled,
 * so two reconciles of one Registry never overlap there. Both read from the same informers (see `rbac.ts`): each
 * resource is listed and watched once.
 */
import type { KubeCredentials } from '../kube/kube-credentials.js';
import type { Logger } from '../shared/logger.js';
import { ApiClient } from '../kube/api-client.js';
import { KubeApi } from '../kube/kube-api.js';
import type { Controller } from './runtime/controller.js';
import { KubeEventRecorder } from './runtime/events.js';
import { startHealthServer } from './runtime/health-server.js';
import { InformerFactory } from '../kube/informer-factory.js';
import { LeaderElector, type LeaderElectionOptions } from './runtime/leader-election.js';
import { createOperatorMetrics, type OperatorMetrics } from './runtime/metrics.js';
import { createRegistryController } from './registry/controller.js';
import { createAccessController } from './access/controller.js';

export interface OperatorOptions {
  /** Where the API server is and how to authenticate (`loadKubeCredentials`, or a `KubeConfig`). */
  kubeConfig: KubeCredentials;
  logger: Logger;
  /** Watch one namespace only; undefined: all namespaces. */
  watchNamespace?: string;
  /** Image for Registries without spec.image. */
  defaultImage?: string;
  /** Patterns of the images a Registry may run (`registry/images.ts`); undefined: only `defaultImage`. */
  allowedImages?: string[];
  /** host:port of /healthz, /readyz and /metrics. */
  metricsAddr: string;
  /** Where the operator keeps its CA Secret (`berth-ca`); default: the leader-election namespace, else the watched one, else `default`. */
  caNamespace?: string;
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
  const informers = new InformerFactory({ api, logger: o.logger, metrics, silenceTimeoutMs: o.watchSilenceTimeoutMs });
  const common = {
    api,
    informers,
    events: new KubeEventRecorder(api, identity, o.logger),
    logger: o.logger,
    metrics,
    watchNamespace: o.watchNamespace,
    workers: o.workers,
    resyncPeriodMs: o.resyncPeriodMs,
  };
  const controllers = [createRegistryController({
      ...common,
      defaultImage: o.defaultImage,
      allowedImages: o.allowedImages,
      caNamespace: o.caNamespace ?? o.leaderElection?.namespace ?? o.watchNamespace ?? 'default',
    }), createAccessController(common)];
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
    informers.start();
    await Promise.race([informers.waitForSync(), aborted(stopping.signal)]);
    if (stopping.signal.aborted) return 0;
    phase = 'running';
    o.logger.info('caches synced, reconciling', { informers: informers.all().length });
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
  informers: InformerFactory;
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
  await p.informers.stop();
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
