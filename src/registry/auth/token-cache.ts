/**
 * Remembers tokens that passed full verification, keyed by the whole token text, so a client sending the same
 * token on every request costs one signature check, not one per request. A hit is re-checked against the clock
 * (`exp`/`nbf` with the same leeway) each time; only verified tokens are ever stored, so nothing can be planted.
 * Bounded by `maxEntries`, least recently used first out (lru-cache).
 */
import { LRUCache } from 'lru-cache';
import { CLOCK_LEEWAY_S, type AccessClaims } from './tokens.js';

export class VerifiedTokenCache {
  readonly #entries: LRUCache<string, AccessClaims>;

  constructor(readonly maxEntries = 10_000) {
    this.#entries = new LRUCache({ max: maxEntries });
  }

  /** The claims of a verified token that is still within its validity window at `now`. */
  get(token: string, now: number): AccessClaims | undefined {
    const claims = this.#entries.get(token);
    if (!claims) return undefined;
    const s = now / 1000;
    if (claims.exp <= s - CLOCK_LEEWAY_S || claims.nbf > s + CLOCK_LEEWAY_S) {
      this.#entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: AccessClaims): void {
    this.#entries.set(token, claims);
  }

  get size(): number {
    return this.#entries.size;
  }
}
