/**
 * Exponential backoff with jitter, as a pure function of the attempt number (so it is table-tested, and a caller
 * keeps its own attempt counter).
 */

export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly baseMs: number;
  /** The delay never grows beyond this. */
  readonly maxMs: number;
  /** 0..1: the share of each delay that is random, so many clients retrying at once spread out. */
  readonly jitter: number;
}

/** Per-key reconcile retries: 0.5 s, 1 s, 2 s, … up to 5 minutes. */
export const RECONCILE_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 300_000, jitter: 0.2 };

/** Watch and list restarts after errors: 0.5 s, 1 s, 2 s, … up to 30 s. */
export const WATCH_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000, jitter: 0.3 };

/**
 * The delay before retry number `attempt` (1 = the first retry): `baseMs · 2^(attempt-1)`, capped at `maxMs`,
 * of which the `jitter` share is scaled by `random()` (a number in [0, 1)).
 *
 * @example
 * backoffDelay({ baseMs: 500, maxMs: 30_000, jitter: 0 }, 3) // 2000
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 52));
  const fixed = exp * (1 - policy.jitter);
  return Math.round(fixed + exp * policy.jitter * random());
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
