/**
 * Who may try a password now, decided before the (slow) check and recorded before it too, so parallel attempts
 * cannot slip past the limit:
 *
 * - **Reservation.** An admitted attempt counts as a failure at once; a success takes it back. With a limit of 10,
 *   at most 10 attempts reach the password check, however many arrive together.
 * - **Concurrency.** At most `maxConcurrentPerAddress` checks run for one client address, and at most
 *   `maxConcurrentPerAccount` for one account from addresses it has not logged in from; the rest get 429 at once
 *   instead of queueing in front of everyone else's logins.
 * - **Lockout per (account, address)** with growing delays: after `failuresPerMinute` failures the pair is locked
 *   for a minute, then 2, 4, 8… up to `lockoutMaxMs`; forgotten after `lockoutMaxMs` without failures.
 * - **Per address** (password spraying over many accounts): `failuresPerMinute` failures a minute, sliding.
 * - **Per account, from unknown addresses only** (guessing spread over many addresses): `failuresPerMinute`
 *   failures a minute. An address the account logged in from successfully (within 30 days) is exempt, so strangers
 *   can never lock an account out of the places it works from (OWASP's "device cookie" lockout, keyed by address).
 *
 * Memory is bounded: every table is an LRU of at most `maxKeys` entries.
 */
import { LRUCache } from 'lru-cache';
import type { AuthConfig } from '../../shared/registry-config.js';
import { FailureLimiter } from './rate-limit.js';

export interface LoginLimits {
  /** Failures allowed per minute per address, per (account, address) before lockout, and per account. */
  failuresPerMinute: number;
  maxConcurrentPerAddress: number;
  maxConcurrentPerAccount: number;
  /** The longest lockout of one (account, address); also how long a quiet pair is remembered. */
  lockoutMaxMs: number;
  maxKeys?: number;
}

export const LOGIN_LIMIT_DEFAULTS = {
  maxConcurrentPerAddress: 4,
  maxConcurrentPerAccount: 2,
  lockoutMaxMs: 15 * 60_000,
} as const;

export const REFUSALS = { rateLimited: 'rate_limited', concurrencyLimited: 'concurrency_limited' } as const;
export type Refusal = (typeof REFUSALS)[keyof typeof REFUSALS];

/** One admitted attempt: call exactly one of these when the check is done. */
export interface LoginTicket {
  succeeded(): void;
  failed(): void;
}

export type Admission = { ok: true; ticket: LoginTicket } | { ok: false; reason: Refusal; retryAfterMs: number };

/** An attempt decided and recorded at once ({@link LoginAdmitter.settle}). */
export type Settlement = { ok: true } | { ok: false; reason: Refusal; retryAfterMs: number };

/** What the token service asks: a {@link LoginLimiter} here, or (with `berth serve --workers N`) the primary's. */
export interface LoginAdmitter {
  begin(account: string | undefined, address: string, now?: number): Admission | Promise<Admission>;
  /**
   * Admits an attempt whose check already ran and records its outcome in one step (begin, then succeeded or
   * failed). Only for robots, whose secret check is one sha256: a limiter in another process would otherwise hold
   * each attempt's reservation for a round trip, and parallel logins would count as failures meanwhile. A refused
   * attempt's outcome is never revealed (the client gets 429 either way). Absent: begin/end.
   */
  settle?(account: string, address: string, ok: boolean, now?: number): Promise<Settlement>;
}

const WINDOW_MS = 60_000;
const TRUSTED_MS = 30 * 24 * 3600_000;

interface PairState {
  failures: number;
  lockedUntil: number;
  last: number;
}

export class LoginLimiter implements LoginAdmitter {
  readonly limits: Required<LoginLimits>;
  readonly #byAddress: FailureLimiter;
  readonly #byAccount: FailureLimiter;
  readonly #pairs: LRUCache<string, PairState>;
  readonly #trusted: LRUCache<string, true>;
  readonly #inFlight = new Map<string, number>();

  constructor(limits: Partial<LoginLimits> & Pick<LoginLimits, 'failuresPerMinute'>) {
    this.limits = { ...LOGIN_LIMIT_DEFAULTS, maxKeys: 100_000, ...limits };
    const { failuresPerMinute: n, maxKeys } = this.limits;
    this.#byAddress = new FailureLimiter(n, WINDOW_MS, maxKeys);
    this.#byAccount = new FailureLimiter(n, WINDOW_MS, maxKeys);
    this.#pairs = new LRUCache({ max: maxKeys });
    this.#trusted = new LRUCache({ max: maxKeys, ttl: TRUSTED_MS });
  }

  /** Admits (and reserves) a login attempt for `account` (undefined: a refresh token) from `address`, or refuses it. */
  begin(account: string | undefined, address: string, now = Date.now()): Admission {
    const ip = `ip:${address}`;
    const pair = account === undefined ? undefined : `${account}\u0000${address}`;
    const acct = account === undefined || this.#trusted.has(pair!) ? undefined : `account:${account}`;
    const wait = Math.max(
      this.#byAddress.retryAfterMs(ip, now),
      acct ? this.#byAccount.retryAfterMs(acct, now) : 0,
      pair ? this.#pairWait(pair, now) : 0,
    );
    if (wait > 0) return { ok: false, reason: REFUSALS.rateLimited, retryAfterMs: wait };
    if (this.#count(ip) >= this.limits.maxConcurrentPerAddress || (acct && this.#count(acct) >= this.limits.maxConcurrentPerAccount)) {
      return { ok: false, reason: REFUSALS.concurrencyLimited, retryAfterMs: 1000 };
    }
    const held = acct ? [ip, acct] : [ip];
    for (const k of held) this.#inFlight.set(k, this.#count(k) + 1);
    this.#byAddress.recordFailure(ip, now);
    if (acct) this.#byAccount.recordFailure(acct, now);
    if (pair) this.#reservePair(pair, now);
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      for (const k of held) this.#release(k);
      if (!ok) return;
      this.#byAddress.forgive(ip, now);
      if (acct) this.#byAccount.forgive(acct, now);
      if (pair) {
        this.#clearPair(pair);
        this.#trusted.set(pair, true);
      }
    };
    return { ok: true, ticket: { succeeded: () => finish(true), failed: () => finish(false) } };
  }

  #count(key: string): number {
    return this.#inFlight.get(key) ?? 0;
  }

  #release(key: string): void {
    const n = this.#count(key) - 1;
    if (n > 0) this.#inFlight.set(key, n);
    else this.#inFlight.delete(key);
  }

  /**
   * Forgets the pair's failures (a success). The entry is zeroed in place rather than deleted: deleting the last
   * entry of an LRUCache clears (fills) all of its `maxKeys`-long arrays, which cost more than the token it guarded.
   */
  #clearPair(pair: string): void {
    const state = this.#pairs.peek(pair);
    if (!state) return;
    state.failures = 0;
    state.lockedUntil = 0;
  }

  #pairWait(pair: string, now: number): number {
    const state = this.#pairs.get(pair);
    return state ? Math.max(0, state.lockedUntil - now) : 0;
  }

  /** Counts one more failure of the pair; at the limit and beyond, locks it for 1, 2, 4… minutes (capped). */
  #reservePair(pair: string, now: number): void {
    let state = this.#pairs.get(pair);
    if (!state || (now - state.last > this.limits.lockoutMaxMs && now >= state.lockedUntil)) {
      state = { failures: 0, lockedUntil: 0, last: now };
    }
    state.failures++;
    state.last = now;
    const over = state.failures - this.limits.failuresPerMinute;
    if (over >= 0) state.lockedUntil = now + Math.min(WINDOW_MS * 2 ** Math.min(over, 20), this.limits.lockoutMaxMs);
    this.#pairs.set(pair, state);
  }
}

/** The login limiter the auth config describes. */
export function loginLimiterFor(config: AuthConfig, overrides: Partial<LoginLimits> = {}): LoginLimiter {
  return new LoginLimiter({
    failuresPerMinute: config.failedLoginsPerMinute,
    maxConcurrentPerAddress: config.maxConcurrentLoginsPerAddress,
    maxConcurrentPerAccount: config.maxConcurrentLoginsPerAccount,
    lockoutMaxMs: config.loginLockoutMaxMs,
    ...overrides,
  });
}
