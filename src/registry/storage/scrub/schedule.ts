/**
 * `berth serve` scrubs every `storage.scrub.interval` (±10 % jitter, so replicas sharing a volume spread out). Each
 * corrupt blob is logged with the repositories that link it, and counted.
 */
import type { Logger } from '../../../shared/logger.js';
import type { ScrubMetrics } from './metrics.js';
import { scrubBlobs, type CorruptBlob, type ScrubReport, type ScrubStores } from './scrub.js';

export interface ScrubSchedule {
  stop(): Promise<void>;
}

/** The log line of a corrupt blob (also what `berth scrub` prints). */
export function corruptMessage(blob: CorruptBlob): string {
  const where = blob.repositories.length > 0 ? blob.repositories.join(', ') : 'no repository';
  const done = blob.quarantined ? 'quarantined' : 'would be quarantined';
  return `corrupt blob ${blob.digest} (${blob.size} bytes hash to ${blob.actual}), linked by ${where}: ${done}`;
}

/** Runs one scrub, logging and counting what it finds; never throws. */
export async function runScheduledScrub(
  stores: ScrubStores,
  opts: { concurrency: number; signal?: AbortSignal },
  logger: Logger,
  metrics: ScrubMetrics,
): Promise<ScrubReport | undefined> {
  try {
    const report = await scrubBlobs(stores, {
      ...opts,
      onChecked: (size) => metrics.checked(size),
      onCorrupt: (blob) => {
        metrics.corrupt();
        logger.error(corruptMessage(blob), { digest: blob.digest, actual: blob.actual, repositories: blob.repositories });
      },
    });
    metrics.finished(report);
    for (const u of report.unreadable) logger.error('scrub could not read a blob', { digest: u.digest, error: u.error });
    logger.info('scrub finished', {
      durationMs: report.durationMs,
      blobsChecked: report.blobsChecked,
      bytesChecked: report.bytesChecked,
      corrupt: report.corrupt.length,
      unreadable: report.unreadable.length,
    });
    return report;
  } catch (err) {
    metrics.failed();
    logger.error('scrub failed', { error: (err as Error).message });
    return undefined;
  }
}

export function scheduleScrub(
  stores: ScrubStores,
  opts: { intervalMs: number; concurrency: number },
  logger: Logger,
  metrics: ScrubMetrics,
): ScrubSchedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const stop = new AbortController();
  const next = (): void => {
    if (stop.signal.aborted) return;
    timer = setTimeout(() => {
      running = runScheduledScrub(stores, { concurrency: opts.concurrency, signal: stop.signal }, logger, metrics).finally(next);
    }, opts.intervalMs * (0.9 + Math.random() * 0.2));
    timer.unref();
  };
  next();
  return {
    async stop() {
      stop.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
