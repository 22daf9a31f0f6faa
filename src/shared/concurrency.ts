/**
 * The one concurrency limiter: at most `limit` tasks run at once, the rest wait in arrival order. Used for the
 * password-hash pool of the token service and for the operator's fan-out of Kubernetes writes.
 *
 * @example
 * ```ts
 * const hashes = createLimiter(2);
 * const ok = await hashes(() => verifyScrypt(password, hash));
 * ```
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(limit: number): Limiter {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Runs `fn` over `items` with at most `limit` at once; rejects with the first error after all have settled. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const run = createLimiter(limit);
  const results = await Promise.allSettled(items.map((item) => run(() => fn(item))));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Coalesces concurrent calls with the same key into one: while a call for `key` is in flight, later callers get
 * its promise instead of starting another (a cache miss under a burst costs one round trip, not one per caller).
 * Nothing is kept once it settles, so a failure is not remembered; the map holds at most the calls in flight.
 */
export type Coalescer<V> = (key: string, fn: () => Promise<V>) => Promise<V>;

export function createCoalescer<V>(): Coalescer<V> {
  const inFlight = new Map<string, Promise<V>>();
  return (key, fn) => {
    const running = inFlight.get(key);
    if (running) return running;
    const started = fn().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
