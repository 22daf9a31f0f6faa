/**
 * The primary's `/metrics`: asks every serving worker for its registry (as JSON), then merges them with
 * prom-client's `AggregatorRegistry.aggregate`. Each worker labels its series with `worker`, so nothing is summed
 * away: sum by label in PromQL for the registry as a whole. A worker that does not answer within the timeout (busy,
 * dying) is left out of that page rather than failing it.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { MetricJson } from './messages.js';

export const COLLECT_TIMEOUT_MS = 3000;

interface Collection {
  waiting: Set<number>;
  parts: MetricJson[][];
  finish: () => void;
}

export class MetricsCollector {
  #next = 1;
  readonly #open = new Map<number, Collection>();
  readonly contentType = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE;

  /** The aggregated exposition text of `workers`. */
  collect(workers: Worker[]): Promise<string> {
    const id = this.#next++;
    return new Promise<string>((resolve, reject) => {
      const collection: Collection = {
        waiting: new Set(workers.map((w) => w.id)),
        parts: [],
        finish: () => {
          clearTimeout(timer);
          this.#open.delete(id);
          AggregatorRegistry.aggregate(collection.parts).metrics().then(resolve, reject);
        },
      };
      const timer = setTimeout(collection.finish, COLLECT_TIMEOUT_MS);
      this.#open.set(id, collection);
      for (const worker of workers) {
        if (worker.isConnected()) worker.send({ type: 'berth:collect', id });
        else collection.waiting.delete(worker.id);
      }
      if (collection.waiting.size === 0) collection.finish();
    });
  }

  /** A worker's answer (`metrics` undefined: it could not collect). */
  received(id: number, workerId: number, metrics: MetricJson[] | undefined): void {
    const collection = this.#open.get(id);
    if (!collection || !collection.waiting.delete(workerId)) return;
    if (metrics) collection.parts.push(metrics);
    if (collection.waiting.size === 0) collection.finish();
  }

  /** A worker is gone: no collection waits for it any longer. */
  forget(workerId: number): void {
    for (const [id, collection] of this.#open) {
      if (collection.waiting.has(workerId)) this.received(id, workerId, undefined);
    }
  }
}
