/** Prometheus metrics of scrub, on the registry's metrics registry. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ScrubReport } from './scrub.js';

export interface ScrubMetrics {
  /** A blob was read whole and hashed. */
  checked(size: number): void;
  /** A corrupt blob was found. */
  corrupt(): void;
  /** Records a finished run. */
  finished(report: ScrubReport): void;
  /** Counts a run that failed. */
  failed(): void;
}

export function createScrubMetrics(registry: Registry): ScrubMetrics {
  const registers = [registry];
  const blobs = new Counter({ name: 'berth_scrub_blobs_checked_total', help: 'Blobs scrub read back and hashed.', registers });
  const bytes = new Counter({ name: 'berth_scrub_bytes_checked_total', help: 'Bytes scrub read back and hashed.', registers });
  const corrupt = new Counter({
    name: 'berth_scrub_corrupt_blobs_total',
    help: 'Blobs scrub found whose bytes do not hash to their digest (quarantined).',
    registers,
  });
  const unreadable = new Counter({ name: 'berth_scrub_unreadable_blobs_total', help: 'Blobs scrub could not read (not quarantined).', registers });
  const lastRun = new Gauge({ name: 'berth_scrub_last_run_timestamp_seconds', help: 'When the last scrub finished.', registers });
  const duration = new Gauge({ name: 'berth_scrub_last_run_duration_seconds', help: 'How long the last scrub took.', registers });
  const lastCorrupt = new Gauge({ name: 'berth_scrub_last_run_corrupt_blobs', help: 'Corrupt blobs the last scrub found.', registers });
  const runs = new Counter({
    name: 'berth_scrub_runs_total',
    help: 'Scrub runs, by result (clean, corrupt: found some, error: failed).',
    labelNames: ['result'],
    registers,
  });
  return {
    checked(size) {
      blobs.inc();
      bytes.inc(size);
    },
    corrupt() {
      corrupt.inc();
    },
    finished(report) {
      unreadable.inc(report.unreadable.length);
      lastRun.set((report.startedAt + report.durationMs) / 1000);
      duration.set(report.durationMs / 1000);
      lastCorrupt.set(report.corrupt.length);
      runs.inc({ result: report.corrupt.length > 0 ? 'corrupt' : 'clean' });
    },
    failed() {
      runs.inc({ result: 'error' });
    },
  };
}
