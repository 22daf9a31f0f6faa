/**
 * A cache of API review answers (TokenReview, SubjectAccessReview): a bounded LRU with a TTL, so an answer is never
 * used more than `ttlMs` after the API gave it (a revoked RoleBinding stops working within the TTL).
 *
 * - **Coalesced misses.** Concurrent misses of one key share one request.
 * - **Refresh ahead.** A hit in the last quarter of its entry's life returns the cached answer and asks again in the
 *   background, so a key in steady use never expires under its callers: without it, every login waiting on an
 *   expired answer queued at the API at once and some were refused by the login limiter's concurrency cap.
 * - Only answers are cached: a failed request is thrown to the callers that waited on it (who fail closed); a failed
 *   background refresh is dropped and the entry expires at its TTL as it would have.
 */
import { LRUCache } from 'lru-cache';
import { createCoalescer } from '../../../shared/concurrency.js';

/** The share of an entry's life after which a hit refreshes it in the background. */
const REFRESH_AFTER = 0.75;

/** Whether a hit with `remainingMs` of `ttlMs` left should refresh its entry (pure). */
export function shouldRefresh(remainingMs: number, ttlMs: number): boolean {
  return remainingMs < ttlMs * (1 - REFRESH_AFTER);
}

// lru-cache stores only non-nullish values
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export class ReviewCache<V extends {}> {
  readonly #answers: LRUCache<string, V>;
  readonly #ask = createCoalescer<V>();

  constructor(
    private readonly ttlMs: number,
    max: number,
    /** Milliseconds from any fixed origin (tests pass their own clock). */
    now: () => number = () => performance.now(),
  ) {
    this.#answers = new LRUCache<string, V>({ max, ttl: ttlMs, perf: { now }, ttlResolution: 0 });
  }

  /** The cached answer for `key`, else `review()`'s (stored when it succeeds). */
  async get(key: string, review: () => Promise<V>): Promise<V> {
    const cached = this.#answers.get(key);
    if (cached === undefined) return this.#fetch(key, review);
    if (shouldRefresh(this.#answers.getRemainingTTL(key), this.ttlMs)) void this.#fetch(key, review).catch(() => undefined);
    return cached;
  }

  #fetch(key: string, review: () => Promise<V>): Promise<V> {
    return this.#ask(key, async () => {
      const answer = await review();
      this.#answers.set(key, answer);
      return answer;
    });
  }
}
