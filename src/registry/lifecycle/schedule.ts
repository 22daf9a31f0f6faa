/**
 * `berth serve` runs retention every `storage.lifecycle.retentionInterval` and recounts usage every
 * `usageRescanInterval` (each with ±10 % jitter, so replicas do not wake together); a run never overlaps the next.
 * With a report channel, the usage document is rebuilt (when something changed) every couple of seconds and handed
 * to the report writer, which coalesces writes to its own minimum interval.
 */
import type { Logger } from '../../shared/logger.js';
import type { Lifecycle } from './index.js';

export interface LifecycleSchedule {
  stop(): Promise<void>;
}

function every(intervalMs: number, run: () => Promise<unknown>): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const next = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run().finally(next);
    }, intervalMs * (0.9 + Math.random() * 0.2));
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

export function scheduleLifecycle(
  lifecycle: Lifecycle,
  opts: {
    retentionIntervalMs: number;
    usageRescanIntervalMs: number;
    /** False in all but one worker of `berth serve --workers N` (retention runs once per process tree). */
    retention?: boolean;
    reportIntervalMs?: number;
    report?: () => void;
  },
  logger: Logger,
): LifecycleSchedule {
  const guard = (what: string, fn: () => Promise<unknown>) => async (): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      logger.error(`${what} failed`, { error: (err as Error).message });
    }
  };
  const retention = opts.retention === false ? undefined : every(opts.retentionIntervalMs, guard('retention', () => lifecycle.runRetention()));
  const rescan = every(opts.usageRescanIntervalMs, guard('usage rescan', () => lifecycle.rescan()));
  const report = opts.report;
  const publish = report ? every(opts.reportIntervalMs ?? 2000, guard('usage report', async () => lifecycle.takeChanged() && report())) : undefined;
  return {
    async stop() {
      await Promise.all([retention?.stop(), rescan.stop(), publish?.stop()]);
    },
  };
}
