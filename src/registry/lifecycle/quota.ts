/**
 * The quota decision (pure): whether a write that adds `growthBytes` to a repository holding `usageBytes` stays
 * within `quotaBytes`. A write that adds nothing (a blob or manifest the repository already holds, a new tag on an
 * existing manifest) is always allowed, so a repository over its quota (the quota was lowered) can still be
 * re-tagged and retried; a write of unknown size is refused only when the repository is already at its quota.
 */
import { formatBytes } from '../../shared/quantity.js';

export interface QuotaQuestion {
  repository: string;
  quotaBytes: number | undefined;
  usageBytes: number;
  /** Bytes the write adds; undefined when not known yet (an upload of unknown length). */
  growthBytes: number | undefined;
}

export type QuotaDecision = { ok: true } | { ok: false; message: string };

const both = (n: number): string => `${formatBytes(n)} (${n} bytes)`;

export function quotaDecision(q: QuotaQuestion): QuotaDecision {
  if (q.quotaBytes === undefined || q.growthBytes === 0) return { ok: true };
  if (q.growthBytes === undefined) {
    if (q.usageBytes < q.quotaBytes) return { ok: true };
    return {
      ok: false,
      message: `repository ${q.repository} is at its quota: it holds ${both(q.usageBytes)} of its quota of ${both(q.quotaBytes)}`,
    };
  }
  if (q.usageBytes + q.growthBytes <= q.quotaBytes) return { ok: true };
  return {
    ok: false,
    message:
      `repository ${q.repository} would exceed its quota: it holds ${both(q.usageBytes)} of its quota of ${both(q.quotaBytes)}, ` +
      `and this push adds ${both(q.growthBytes)}`,
  };
}
