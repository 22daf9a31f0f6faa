/** From the `storage.gc` config section to a collection policy (pure). */
import { parseDuration } from '../../../shared/duration.js';
import type { StorageConfig } from '../../../shared/registry-config.js';
import type { GcPolicy } from './collector.js';

export type GcConfig = NonNullable<StorageConfig['gc']>;

/** The policy a `storage.gc` section asks for. */
export function gcPolicyOf(gc: GcConfig | undefined): GcPolicy {
  const gracePeriodMs = gc?.gracePeriodMs ?? 3_600_000;
  const untagged = gc?.untagged ?? 'keep';
  if (untagged === 'keep') return { gracePeriodMs };
  // the schema's durations inside a union are left as written (durationsToMs does not walk unions)
  const loose = untagged as { olderThan?: string | number; olderThanMs?: number };
  const olderThan = loose.olderThan;
  const untaggedMaxAgeMs =
    loose.olderThanMs ?? (typeof olderThan === 'number' ? olderThan * 1000 : parseDuration(olderThan ?? ''));
  return { gracePeriodMs, ...(untaggedMaxAgeMs === undefined ? {} : { untaggedMaxAgeMs }) };
}
