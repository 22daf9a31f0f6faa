/**
 * `status.usage` and `status.retention` of a Repository from what the registry reported about its path in the
 * report ConfigMap (pure). A repository nothing was pushed to yet shows zero usage.
 */
import { formatBytes } from '../../shared/quantity.js';
import type { RepositoryReport } from '../../shared/schemas/report.js';
import type { RepositoryStatus } from './types.js';

export function lifecycleStatus(report: RepositoryReport | undefined, observedTime: string): Pick<RepositoryStatus, 'usage' | 'retention'> {
  const r = report ?? { bytes: 0, tags: 0 };
  const out: Pick<RepositoryStatus, 'usage' | 'retention'> = {
    usage: {
      bytes: r.bytes,
      size: formatBytes(r.bytes),
      tags: r.tags,
      ...(r.lastPushTime ? { lastPushTime: r.lastPushTime } : {}),
      ...(r.quotaBytes === undefined ? {} : { quotaBytes: r.quotaBytes }),
      observedTime,
    },
  };
  if (r.retention) {
    out.retention = {
      lastRunTime: r.retention.time,
      dryRun: r.retention.dryRun,
      deletedTags: r.retention.deletedTags,
      deletedManifests: r.retention.deletedManifests,
      tags: r.retention.tags,
    };
  }
  return out;
}
