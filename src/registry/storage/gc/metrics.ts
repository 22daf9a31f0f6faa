/** Prometheus metrics of garbage collection, on the registry's metrics registry. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GcReport } from './collector.js';

export interface GcMetrics {
  /** Records a finished run. */
  observe(report: GcReport): void;
  /** Counts a run that failed. */
  failed(): void;
}

export function createGcMetrics(registry: Registry): GcMetrics {
  const registers = [registry];
  const lastRun = new Gauge({ name: 'berth_gc_last_run_timestamp_seconds', help: 'When the last garbage collection finished.', registers });
  const duration = new Gauge({ name: 'berth_gc_last_run_duration_seconds', help: 'How long the last garbage collection took.', registers });
  const blobs = new Counter({ name: 'berth_gc_blobs_deleted_total', help: 'Blobs deleted by garbage collection.', registers });
  const bytes = new Counter({ name: 'berth_gc_bytes_freed_total', help: 'Bytes of blobs deleted by garbage collection.', registers });
  const manifests = new Counter({ name: 'berth_gc_manifests_deleted_total', help: 'Untagged manifests deleted by policy.', registers });
  const runs = new Counter({ name: 'berth_gc_runs_total', help: 'Garbage collections run, by result (ok, busy, error).', labelNames: ['result'], registers });
  const errors = new Counter({ name: 'berth_gc_errors_total', help: 'Garbage collections that failed.', registers });
  return {
    observe(report) {
      if (!report.ran) {
        runs.inc({ result: 'busy' });
        return;
      }
      runs.inc({ result: 'ok' });
      lastRun.set((report.startedAt + report.durationMs) / 1000);
      duration.set(report.durationMs / 1000);
      blobs.inc(report.blobsDeleted);
      bytes.inc(report.bytesFreed);
      manifests.inc(report.manifestsDeleted);
    },
    failed() {
      runs.inc({ result: 'error' });
      errors.inc();
    },
  };
}
