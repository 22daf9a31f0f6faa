/**
 * A controller: workers that take keys from a {@link WorkQueue} and reconcile them, plus a periodic resync that
 * queues every key of the primary informer. A reconcile ends in one of four ways (as in controller-runtime):
 * done; requeue after a delay; an error (retried with per-key exponential backoff); or a {@link TerminalError}
 * (recorded in status by the reconciler, not retried until something changes).
 */
import type { Logger } from '../../shared/logger.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import type { Informer } from '../../kube/informer.js';
import type { OperatorMetrics } from './metrics.js';
import { WorkQueue } from './work-queue.js';

export interface ReconcileResult {
  /** Reconcile this key again after this delay (for example to poll something that has no watch). */
  requeueAfterMs?: number;
}

/** A failure that retrying cannot fix (an invalid spec): not retried until the object changes. */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult | void>;
}

export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  /** The informer of the resource this controller reconciles (resync queues all its keys). */
  primary: Pick<Informer<KubeObject>, 'list'>;
  workers: number;
  resyncPeriodMs: number;
  logger: Logger;
  metrics: OperatorMetrics;
  queue?: WorkQueue;
}

export class Controller {
  readonly queue: WorkQueue;
  readonly #o: ControllerOptions;

  constructor(opts: ControllerOptions) {
    this.#o = opts;
    this.queue = opts.queue ?? new WorkQueue();
    opts.metrics.queues.set(opts.name, this.queue);
  }

  get name(): string {
    return this.#o.name;
  }

  /** Queues a key; with `respectBackoff` a key waiting for its retry is left to it. */
  enqueue(key: string, opts: { respectBackoff?: boolean } = {}): void {
    this.queue.add(key, opts);
  }

  /** Runs the workers until `signal` aborts; then finishes the reconciles in flight and resolves. */
  async run(signal: AbortSignal): Promise<void> {
    const resync = setInterval(() => this.resync(), this.#o.resyncPeriodMs);
    resync.unref();
    const stop = (): void => {
      clearInterval(resync);
      this.queue.shutdown();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const workers = Array.from({ length: Math.max(1, this.#o.workers) }, () => this.#work());
    await Promise.all(workers);
  }

  /** Queues every object of the primary informer. */
  resync(): void {
    for (const obj of this.#o.primary.list()) this.queue.add(objectKey(obj), { respectBackoff: true });
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.#process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #process(key: string): Promise<void> {
    const { name, reconciler, metrics, logger } = this.#o;
    const end = metrics.reconcileDuration.startTimer({ controller: name });
    try {
      const result = await reconciler.reconcile(key);
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconciles.inc({ controller: name, result: 'requeue' });
      } else {
        metrics.reconciles.inc({ controller: name, result: 'success' });
      }
    } catch (err) {
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        metrics.reconciles.inc({ controller: name, result: 'invalid' });
        logger.info('reconcile stopped until the object changes', { controller: name, key, reason: err.message });
        return;
      }
      metrics.reconciles.inc({ controller: name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: name });
      const delayMs = this.queue.addRateLimited(key);
      logger.warn('reconcile failed, retrying', {
        controller: name,
        key,
        error: (err as Error).message,
        attempt: this.queue.failures(key),
        retryInMs: delayMs,
      });
    } finally {
      end();
    }
  }
}
