/**
 * What the primary and the workers of `berth serve --workers N` say to each other over the cluster IPC channel.
 * Every message has a `type` starting with `berth:`.
 *
 * Worker → primary: `listening` once serving; `request`s (aggregated metrics, a login admission) answered by a
 * `reply` with the same id; `login-end` when an admitted login attempt is done. Primary → worker: `collect` (this
 * worker's metrics, for an aggregation), answered by `collected`.
 */
import type { Registry } from 'prom-client';
import type { Refusal } from '../auth/login-limiter.js';

export type WorkerRequest =
  | { kind: 'metrics' }
  | { kind: 'login-begin'; account: string | undefined; address: string; now: number }
  | { kind: 'login-settle'; account: string; address: string; now: number; ok: boolean };

export type ReplyBody =
  | { kind: 'metrics'; contentType: string; text: string }
  | { kind: 'login-begin'; ok: true; ticket: number }
  | { kind: 'login-begin'; ok: false; reason: Refusal; retryAfterMs: number }
  | { kind: 'login-settle'; ok: true }
  | { kind: 'login-settle'; ok: false; reason: Refusal; retryAfterMs: number }
  | { kind: 'error'; message: string };

export type ToPrimary =
  | { type: 'berth:listening'; address: string }
  | { type: 'berth:collected'; id: number; metrics?: MetricJson[]; error?: string }
  | { type: 'berth:request'; id: number; request: WorkerRequest }
  | { type: 'berth:login-end'; ticket: number; ok: boolean };

export type ToWorker = { type: 'berth:reply'; id: number; body: ReplyBody } | { type: 'berth:collect'; id: number };

/** One metric of `Registry.getMetricsAsJSON()`, as prom-client's `AggregatorRegistry.aggregate` takes it. */
export type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

/** The worker's index (0…N-1, kept by its replacement after a crash), in its environment. */
export const WORKER_INDEX_ENV = 'BERTH_WORKER_INDEX';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isToPrimary(value: unknown): value is ToPrimary {
  return isObject(value) && typeof value.type === 'string' && value.type.startsWith('berth:') && !TO_WORKER.has(value.type);
}

const TO_WORKER = new Set(['berth:reply', 'berth:collect']);

export function isToWorker(value: unknown): value is ToWorker {
  return isObject(value) && typeof value.type === 'string' && TO_WORKER.has(value.type) && typeof value.id === 'number';
}
