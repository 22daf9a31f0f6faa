/**
 * `berth serve` collects garbage every `storage.gc.interval` (with ±10 % jitter, so replicas sharing a volume do not
 * all wake together; the lease lets one of them run and the others skip).
 */
import type { Logger } from '../../../shared/logger.js';
import { collectGarbage, type GcPolicy, type GcReport } from './collector.js';
import { edgeCache, type EdgeCache } from './edge-cache.js';
import type { GcMetrics } from './metrics.js';
import { pacer, type Pace } from './pace.js';
import type { GcOutcome } from './report-document.js';

type Stores = Parameters<typeof collectGarbage>[0];

/** Requests first: the share of the wall time a scheduled run may work; it rests the rest (pace.ts). */
export const SCHEDULED_SHARE = 0.5;

export interface GcSchedule {
  stop(): Promise<void>;
}

/** Told about every run that ran (not those skipped because another collector held the lease). */
export type GcFinished = (outcome: GcOutcome) => void;

/** Runs one collection, logging and counting its result; never throws. */
export async function runScheduledGc(
  stores: Stores,
  policy: GcPolicy,
  leaseTtlMs: number,
  logger: Logger,
  metrics: GcMetrics,
  onFinished: GcFinished = () => {},
  edges?: EdgeCache,
  pace?: Pace,
): Promise<GcReport | undefined> {
  const startedAt = Date.now();
  try {
    const report = await collectGarbage(stores, { policy, leaseTtlMs, ...(edges ? { edges } : {}), ...(pace ? { pace } : {}) });
    metrics.observe(report);
    if (report.ran) onFinished({ ok: true, report });
    if (!report.ran) logger.debug('garbage collection skipped: another collector holds the lease');
    else {
      logger.info('garbage collection finished', {
        durationMs: report.durationMs,
        blobsDeleted: report.blobsDeleted,
        bytesFreed: report.bytesFreed,
        manifestsDeleted: report.manifestsDeleted,
        linksDeleted: report.linksDeleted,
        broken: report.broken.length,
      });
    }
    return report;
  } catch (err) {
    metrics.failed();
    logger.error('garbage collection failed', { error: (err as Error).message });
    onFinished({ ok: false, error: err as Error, startedAt, durationMs: Date.now() - startedAt });
    return undefined;
  }
}

/** The repositories a run deleted manifests in (the only ones whose usage it changed), each once (pure). */
export function repositoriesWithDeletedManifests(report: GcReport): string[] {
  const out = new Set<string>();
  for (const item of report.deleted) if (item.kind === 'manifest' && item.repository !== undefined) out.add(item.repository);
  return [...out];
}

export interface ScheduleOptions {
  policy: GcPolicy;
  intervalMs: number;
  leaseTtlMs: number;
  onFinished?: GcFinished;
}

export function scheduleGc(stores: Stores, opts: ScheduleOptions, logger: Logger, metrics: GcMetrics): GcSchedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  // manifests are immutable: what one run parsed, the next need not read again
  const edges = edgeCache();
  const next = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runScheduledGc(stores, opts.policy, opts.leaseTtlMs, logger, metrics, opts.onFinished, edges, pacer(SCHEDULED_SHARE)).finally(next);
    }, opts.intervalMs * (0.9 + Math.random() * 0.2));
    timer.unref();
  };
  next();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
