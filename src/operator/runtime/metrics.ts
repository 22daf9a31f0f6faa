/**
 * Prometheus metrics of the operator, on their own prom-client Registry (several operators can run in one test
 * process). Served on `/metrics` by the health server.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  /** Reconciles by controller and result (`success`, `requeue`, `error`, `invalid`). */
  reconciles: Counter<'controller' | 'result'>;
  /** Failed reconciles by controller. */
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  /** Keys waiting, by controller (set by a collect callback). */
  queueDepth: Gauge<'controller'>;
  /** Watch restarts by resource and reason (`error`, `gone`, `silent`, `closed`). */
  watchRestarts: Counter<'resource' | 'reason'>;
  /** API requests by verb and HTTP status (0: no answer). Writes are create, update, patch and delete. */
  apiRequests: Counter<'verb' | 'code'>;
  /** 1 while this process holds the leader Lease. */
  leader: Gauge;
  /** Work queues whose depth `queueDepth` reports at each scrape, by controller name. */
  queues: Map<string, { readonly length: number }>;
}

export function createOperatorMetrics(withDefaults = true): OperatorMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'berth_operator_' });
  const registers = [registry];
  const queues = new Map<string, { readonly length: number }>();
  return {
    queues,
    registry,
    reconciles: new Counter({
      name: 'berth_operator_reconciles_total',
      help: 'Reconciles by controller and result.',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'berth_operator_reconcile_errors_total',
      help: 'Reconciles that failed and will be retried with backoff.',
      labelNames: ['controller'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'berth_operator_reconcile_duration_seconds',
      help: 'Duration of one reconcile.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'berth_operator_queue_depth',
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers,
      collect() {
        for (const [controller, queue] of queues) this.set({ controller }, queue.length);
      },
    }),
    watchRestarts: new Counter({
      name: 'berth_operator_watch_restarts_total',
      help: 'Watch restarts by resource and reason (error, gone = 410 relist, silent, closed by the server).',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    apiRequests: new Counter({
      name: 'berth_operator_api_requests_total',
      help: 'Kubernetes API requests by verb and HTTP status code (0 when no answer came).',
      labelNames: ['verb', 'code'],
      registers,
    }),
    leader: new Gauge({
      name: 'berth_operator_leader',
      help: '1 while this process holds the leader Lease, else 0.',
      registers,
    }),
  };
}
