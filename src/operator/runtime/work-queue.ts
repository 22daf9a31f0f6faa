/**
 * The work queue between informers and reconcilers, keyed by `namespace/name`:
 * - a key waiting in the queue is held once, however often it is added (de-duplication);
 * - a key being reconciled is never handed out again until {@link WorkQueue.done}; adding it meanwhile marks it
 *   dirty, and it is queued once more when the running reconcile finishes (so no event is lost);
 * - {@link WorkQueue.addRateLimited} retries a key after a per-key exponential backoff, {@link WorkQueue.forget}
 *   resets it; {@link WorkQueue.addAfter} schedules a key (requeue-after), keeping the earliest schedule;
 * - an add with `respectBackoff` (events of children, resyncs) leaves a failing key to its scheduled retry, so a
 *   reconcile that fails after writing something cannot wake itself into a hot loop; a plain add (the user
 *   changed the resource) runs at once.
 */
import { backoffDelay, RECONCILE_BACKOFF, type BackoffPolicy } from '../../kube/backoff.js';

type Waiter = (key: string | undefined) => void;

export class WorkQueue {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  /** Keys added while being reconciled, and whether every such add respected backoff. */
  readonly #dirty = new Map<string, boolean>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  #waiters: Waiter[] = [];
  #idleWaiters: Array<() => void> = [];
  #shutdown = false;

  constructor(policy: BackoffPolicy = RECONCILE_BACKOFF, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Keys waiting to be handed out. */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys being reconciled right now. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Keys scheduled for later (backoff or requeue-after). */
  get scheduled(): number {
    return this.#timers.size;
  }

  add(key: string, opts: { respectBackoff?: boolean } = {}): void {
    if (this.#shutdown) return;
    const respect = opts.respectBackoff ?? false;
    if (this.#processing.has(key)) {
      this.#dirty.set(key, (this.#dirty.get(key) ?? true) && respect);
      return;
    }
    if (respect && this.#failures.has(key) && this.#timers.has(key)) return;
    if (this.#queued.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#processing.add(key);
      waiter(key);
      return;
    }
    this.#queued.add(key);
    this.#queue.push(key);
  }

  /** Adds `key` after `ms`; an earlier schedule of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shutdown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.#timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Retries `key` after its next backoff delay; returns that delay. */
  addRateLimited(key: string): number {
    const attempt = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, attempt);
    const delay = backoffDelay(this.#policy, attempt, this.#random);
    this.addAfter(key, delay);
    return delay;
  }

  /** Consecutive failures of `key` so far. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears the backoff of `key` (after a success, or when it no longer exists). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** The next key to reconcile, waiting for one; undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.#shutdown) return Promise.resolve(undefined);
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#queued.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks the reconcile of `key` finished; a key added meanwhile is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    const respect = this.#dirty.get(key);
    if (respect !== undefined) {
      this.#dirty.delete(key);
      this.add(key, { respectBackoff: respect });
    }
    if (this.#processing.size === 0) {
      for (const resolve of this.#idleWaiters) resolve();
      this.#idleWaiters = [];
    }
  }

  /** Stops handing out keys: waiting `get()` calls resolve to undefined, timers are cancelled. */
  shutdown(): void {
    this.#shutdown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const waiter of this.#waiters) waiter(undefined);
    this.#waiters = [];
  }

  /** Resolves when no reconcile is in flight. */
  whenIdle(): Promise<void> {
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
