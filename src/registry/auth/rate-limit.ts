/**
 * Failed-login limiting over a sliding window: once a key (a client address, an account name) has `limit` failures
 * within `windowMs`, every further attempt with that key is refused, without checking credentials, until the
 * oldest failure leaves the window. Memory is bounded: past `maxKeys`, stale keys are dropped, then the oldest.
 */
export class FailureLimiter {
  /** Failure times per key, oldest first, at most `limit` of them. */
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    readonly maxKeys = 100_000,
  ) {}

  #recent(key: string, now: number): number[] {
    const times = this.#failures.get(key);
    if (!times) return [];
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    if (times.length === 0) this.#failures.delete(key);
    return times;
  }

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  retryAfterMs(key: string, now = Date.now()): number {
    const times = this.#recent(key, now);
    return times.length >= this.limit ? times[0]! + this.windowMs - now : 0;
  }

  /** Records a failed attempt for `key`. */
  recordFailure(key: string, now = Date.now()): void {
    const times = this.#recent(key, now);
    times.push(now);
    while (times.length > this.limit) times.shift();
    this.#failures.delete(key); // re-insert: map order is then least recently failed first
    this.#failures.set(key, times);
    if (this.#failures.size > this.maxKeys) this.#evict(now);
  }

  /** Takes back one failure recorded at `at` (a reservation for an attempt that then succeeded). */
  forgive(key: string, at: number): void {
    const times = this.#failures.get(key);
    const i = times ? times.lastIndexOf(at) : -1;
    if (i < 0) return;
    times!.splice(i, 1);
    if (times!.length === 0) this.#failures.delete(key);
  }

  #evict(now: number): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key, now);
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= this.maxKeys * 0.9) break;
      this.#failures.delete(key);
    }
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.#failures.size;
  }
}
