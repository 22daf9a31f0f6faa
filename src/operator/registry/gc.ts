/**
 * Garbage collection of a Registry, the operator's part (pure): `spec.gc` rendered into the registry config's
 * `storage.gc`, the checks the CRD cannot make, the last run the pods reported projected into `status.gc`, and the
 * Event a newly completed run deserves.
 */
import { parseDuration } from '../../shared/duration.js';
import type { RegistryConfigFile } from '../../shared/schemas/registry-config.js';
import type { GcRun } from '../../shared/schemas/report.js';
import type { EventType } from '../runtime/events.js';
import type { RegistrySpec } from './types.js';

type GcConfigFile = NonNullable<RegistryConfigFile['storage']>['gc'];

/** The shortest interval and grace period the operator accepts. */
export const GC_MINIMUM_MS = 60_000;

export const GC_EVENT_REASONS = { collected: 'GarbageCollected', failed: 'GarbageCollectionFailed' } as const;

/** `storage.gc` for the registry config; undefined when the Registry has no `spec.gc` or disables it. */
export function renderGc(gc: RegistrySpec['gc']): GcConfigFile {
  if (!gc?.enabled) return undefined;
  return {
    interval: gc.interval,
    gracePeriod: gc.gracePeriod,
    untagged: gc.untagged.policy === 'Delete' ? { olderThan: gc.untagged.olderThan } : 'keep',
  };
}

/** What is wrong with `spec.gc` that the CRD's schema cannot see, or undefined. */
export function gcSpecProblem(gc: RegistrySpec['gc']): string | undefined {
  if (!gc) return undefined;
  const fields: Array<[string, string]> = [
    ['spec.gc.interval', gc.interval],
    ['spec.gc.gracePeriod', gc.gracePeriod],
    ['spec.gc.untagged.olderThan', gc.untagged.olderThan],
  ];
  for (const [field, value] of fields) {
    const ms = parseDuration(value);
    if (ms === undefined || ms < GC_MINIMUM_MS) return `${field} "${value}" must be a duration of at least 1m`;
  }
  return undefined;
}

/** Only the fields of the schema (a newer registry's extra fields are not carried into the status). */
export function projectGcRun(run: GcRun): GcRun {
  const { startTime, completionTime, durationSeconds, result, blobsDeleted, bytesFreed, manifestsDeleted, errors, message } = run;
  return { startTime, completionTime, durationSeconds, result, blobsDeleted, bytesFreed, manifestsDeleted, errors, ...(message ? { message } : {}) };
}

const completedAt = (run: GcRun): number => Date.parse(run.completionTime);

/**
 * The run `status.gc.lastRun` should show: the reported one, unless the status already shows a later one (two
 * replicas' reports may land out of order).
 */
export function latestGcRun(shown: GcRun | undefined, reported: GcRun | undefined): GcRun | undefined {
  if (!reported) return shown;
  if (shown && completedAt(shown) > completedAt(reported)) return shown;
  return projectGcRun(reported);
}

/** Whether two runs are the same run (deduplicated by their times). */
function sameRun(a: GcRun, b: GcRun): boolean {
  return a.startTime === b.startTime && a.completionTime === b.completionTime;
}

/** `1536` → `1.5 KiB` (pure). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** The Event for a run the status shows now and did not before; undefined when there is none to record. */
export function gcRunEvent(
  before: GcRun | undefined,
  after: GcRun | undefined,
): { type: EventType; reason: string; message: string } | undefined {
  if (!after || (before && sameRun(before, after))) return undefined;
  const took = `${after.durationSeconds}s`;
  if (after.result === 'Failed') {
    return { type: 'Warning', reason: GC_EVENT_REASONS.failed, message: `garbage collection failed after ${took}: ${after.message ?? 'no reason given'}` };
  }
  const problems = after.errors > 0 ? `; ${after.errors} problem(s): ${after.message ?? 'see the registry logs'}` : '';
  return {
    type: after.errors > 0 ? 'Warning' : 'Normal',
    reason: GC_EVENT_REASONS.collected,
    message:
      `garbage collection deleted ${after.blobsDeleted} blob(s) (${formatBytes(after.bytesFreed)}) and ` +
      `${after.manifestsDeleted} untagged manifest(s) in ${took}${problems}`,
  };
}
