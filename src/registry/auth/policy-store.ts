/**
 * Holds the access policy in force and swaps it atomically: a new text is parsed and validated completely, then
 * replaces the old policy with one assignment; requests in flight keep the index they started with. An invalid text
 * changes nothing; the error is logged and counted. The same text twice is not a reload.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../shared/logger.js';
import { indexPolicy, type PolicyIndex } from '../../shared/policy-match.js';
import { parsePolicyText, type ParsedPolicy } from '../../shared/policy-parse.js';
import type { AuthMetrics } from './metrics.js';
import { costOf } from './passwords.js';

export type PolicyUpdate = { ok: true; changed: boolean } | { ok: false; error: string };

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function summary({ policy }: ParsedPolicy) {
  return { users: policy.users.length, robots: policy.robots.length, rules: policy.rules.length };
}

/**
 * The user hash whose cost most users share: logins for unknown accounts are checked against a dummy hash of that
 * cost, so they take as long as a wrong password for a real user.
 */
export function referenceHash({ policy }: ParsedPolicy): string | undefined {
  const byCost = new Map<string, { hash: string; count: number }>();
  for (const user of policy.users) {
    const cost = costOf(user.passwordHash);
    if (cost === undefined) continue;
    const seen = byCost.get(cost) ?? { hash: user.passwordHash, count: 0 };
    seen.count++;
    byCost.set(cost, seen);
  }
  return [...byCost.values()].sort((a, b) => b.count - a.count)[0]?.hash;
}

export class PolicyStore {
  #index: PolicyIndex;
  #digest: string;
  #reference: string | undefined;
  /** False while the store holds only the placeholder of {@link PolicyStore.pending} (no policy was ever loaded). */
  #loaded = true;

  private constructor(
    parsed: ParsedPolicy,
    text: string,
    private readonly deps: { logger: Logger; metrics: AuthMetrics },
  ) {
    this.#index = indexPolicy(parsed.policy);
    this.#digest = digest(text);
    this.#reference = referenceHash(parsed);
  }

  /** The store with its first policy; throws {@link PolicyError} when that policy is invalid (refuse to start). */
  static create(text: string, origin: string, deps: { logger: Logger; metrics: AuthMetrics }): PolicyStore {
    let parsed: ParsedPolicy;
    try {
      parsed = parsePolicyText(text);
    } catch (err) {
      deps.metrics.policyReloads.inc({ outcome: 'failure' });
      throw err;
    }
    const store = new PolicyStore(parsed, text, deps);
    deps.metrics.policyReloads.inc({ outcome: 'success' });
    deps.logger.info('access policy loaded', { origin, ...summary(parsed) });
    store.#warn(parsed, origin);
    return store;
  }

  /**
   * A store without a policy yet (its source could not be read at start): it allows nothing (an empty policy), and
   * {@link loaded} stays false until {@link update} succeeds.
   */
  static pending(deps: { logger: Logger; metrics: AuthMetrics }): PolicyStore {
    const store = new PolicyStore(parsePolicyText('version: 1\n'), '', deps);
    store.#loaded = false;
    return store;
  }

  /** Whether a policy from the source is in force (false only while a {@link pending} store waits for its first). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** The policy in force. */
  get current(): PolicyIndex {
    return this.#index;
  }

  /** A user hash of the most common cost in the policy in force (see {@link referenceHash}). */
  get passwordReference(): string | undefined {
    return this.#reference;
  }

  /** Validates `text` and, when valid and different, makes it the policy in force. */
  update(text: string, origin: string): PolicyUpdate {
    const d = digest(text);
    if (d === this.#digest) return { ok: true, changed: false };
    let parsed: ParsedPolicy;
    try {
      parsed = parsePolicyText(text);
    } catch (err) {
      const error = (err as Error).message;
      this.deps.metrics.policyReloads.inc({ outcome: 'failure' });
      this.deps.logger.error('access policy refused; the previous policy stays in force', { origin, error });
      return { ok: false, error };
    }
    this.#index = indexPolicy(parsed.policy);
    this.#digest = d;
    this.#reference = referenceHash(parsed);
    this.#loaded = true;
    this.deps.metrics.policyReloads.inc({ outcome: 'success' });
    this.deps.logger.info('access policy reloaded', { origin, ...summary(parsed) });
    this.#warn(parsed, origin);
    return { ok: true, changed: true };
  }

  /** Records a policy source that could not be read (the previous policy stays). */
  readFailed(origin: string, error: string): void {
    this.deps.metrics.policyReloads.inc({ outcome: 'failure' });
    this.deps.logger.error('access policy unreadable; the previous policy stays in force', { origin, error });
    this.#digest = '';
  }

  #warn(parsed: ParsedPolicy, origin: string): void {
    for (const warning of parsed.warnings) this.deps.logger.warn('access policy warning', { origin, warning });
  }
}
