/**
 * Prometheus metrics of one registry process, on their own prom-client Registry (so tests can build several apps
 * in one process). Other modules register their metrics on `metrics.registry`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RegistryMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  requestDuration: Histogram<'route' | 'method'>;
  bytesIn: Counter<'route'>;
  bytesOut: Counter<'route'>;
  uploadDuration: Histogram;
  storageErrors: Counter<'operation'>;
  /** Requests or connections cut or refused by a resource bound, by bound (see `LIMITS` in http/limits.ts). */
  limitHits: Counter<'limit'>;
  /** Open client connections. */
  openConnections: Gauge;
}

export function createMetrics(withDefaults = true): RegistryMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'berth_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests by route kind, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'HTTP request duration by route kind and method.',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    }),
    bytesIn: new Counter({
      name: 'berth_http_bytes_received_total',
      help: 'Request body bytes received, by route kind.',
      labelNames: ['route'],
      registers,
    }),
    bytesOut: new Counter({
      name: 'berth_http_bytes_sent_total',
      help: 'Response body bytes sent, by route kind.',
      labelNames: ['route'],
      registers,
    }),
    uploadDuration: new Histogram({
      name: 'berth_blob_upload_duration_seconds',
      help: 'Time from opening an upload session to committing the blob.',
      buckets: [0.01, 0.1, 0.5, 1, 5, 30, 120, 600, 3600],
      registers,
    }),
    storageErrors: new Counter({
      name: 'berth_storage_errors_total',
      help: 'Unexpected storage (filesystem) errors by operation.',
      labelNames: ['operation'],
      registers,
    }),
    limitHits: new Counter({
      name: 'berth_http_limit_hits_total',
      help: 'Requests or connections cut or refused by a resource bound, by bound.',
      labelNames: ['limit'],
      registers,
    }),
    openConnections: new Gauge({
      name: 'berth_http_open_connections',
      help: 'Open client connections.',
      registers,
    }),
  };
}
