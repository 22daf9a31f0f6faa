/** A finished garbage collection run as the `gc.json` report document (schemas/report.ts) (pure). */
import type { GcReportDocument } from '../../../shared/schemas/report.js';
import type { GcReport } from './collector.js';

/** How a scheduled run ended: its report, or the error that stopped it. */
export type GcOutcome =
  | { ok: true; report: GcReport }
  | { ok: false; error: Error; startedAt: number; durationMs: number };

const MAX_MESSAGE = 1024;
const clip = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s);

/** The document for a run that ran (not one skipped because another collector held the lease). */
export function gcReportDocument(outcome: GcOutcome, reporter?: string): GcReportDocument {
  const startedAt = outcome.ok ? outcome.report.startedAt : outcome.startedAt;
  const durationMs = outcome.ok ? outcome.report.durationMs : outcome.durationMs;
  const times = {
    startTime: new Date(startedAt).toISOString(),
    completionTime: new Date(startedAt + durationMs).toISOString(),
    durationSeconds: Math.round(durationMs) / 1000,
  };
  const who = reporter ? { reporter } : {};
  if (!outcome.ok) {
    const run = { ...times, result: 'Failed' as const, blobsDeleted: 0, bytesFreed: 0, manifestsDeleted: 0, errors: 1 };
    return { lastRun: { ...run, message: clip(outcome.error.message || 'garbage collection failed') }, ...who };
  }
  const r = outcome.report;
  const broken = r.broken.length;
  const message = broken
    ? clip(`${broken} kept manifest(s) have missing or unreadable bytes (kept, not deleted): ${r.broken.slice(0, 5).join(', ')}${broken > 5 ? ', …' : ''}`)
    : undefined;
  return {
    lastRun: {
      ...times,
      result: 'Succeeded',
      blobsDeleted: r.blobsDeleted,
      bytesFreed: r.bytesFreed,
      manifestsDeleted: r.manifestsDeleted,
      errors: broken,
      ...(message ? { message } : {}),
    },
    ...who,
  };
}
