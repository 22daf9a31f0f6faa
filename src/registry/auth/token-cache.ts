/**
 * Remembers tokens that passed full verification, keyed by the whole token text, so a client sending the same
 * token on every request costs one signature check, not one per request. A hit is re-checked against the clock
 * (`exp`/`nbf` with the same leeway) each time; only verified tokens are ever stored, so nothing can be planted.
 */
import { CLOCK_LEEWAY_S, type AccessClaims } from './tokens.js';

export class VerifiedTokenCache {
  readonly #entries = new Map<string, AccessClaims>();

  constructor(readonly maxEntries = 10_000) {}

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
    if (this.#entries.size >= this.maxEntries) {
      // Drop the oldest tenth: insertion order is issue order, so these expire first anyway.
      let drop = Math.ceil(this.maxEntries / 10);
      for (const key of this.#entries.keys()) {
        this.#entries.delete(key);
        if (--drop === 0) break;
      }
    }
    this.#entries.set(token, claims);
  }

  get size(): number {
    return this.#entries.size;
  }
}
