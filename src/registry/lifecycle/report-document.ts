/**
 * The `usage.json` report document (src/shared/schemas/report.ts) from the lifecycle's figures (pure): every
 * repository's usage and last retention run, kept under the channel's size bound by leaving out repositories (in
 * byte order, the last ones first) and saying so.
 */
import { MAX_REPORT_BYTES, type RepositoryReport, type UsageReportDocument } from '../../shared/schemas/report.js';
import type { RepositoryReport as Figures } from './index.js';

const iso = (ms: number): string => new Date(ms).toISOString();

function entry(f: Figures): RepositoryReport {
  return {
    bytes: f.bytes,
    tags: f.tags,
    ...(f.lastPushMs === undefined ? {} : { lastPushTime: iso(f.lastPushMs) }),
    ...(f.quotaBytes === undefined ? {} : { quotaBytes: f.quotaBytes }),
    ...(f.retention
      ? {
          retention: {
            time: iso(f.retention.atMs),
            dryRun: f.retention.dryRun,
            deletedTags: f.retention.tags.length,
            deletedManifests: f.retention.manifests.length,
            tags: f.retention.tags.slice(0, 20),
          },
        }
      : {}),
  };
}

export function usageReportDocument(figures: ReadonlyMap<string, Figures>, nowMs: number, reporter?: string, maxBytes = MAX_REPORT_BYTES): UsageReportDocument {
  const names = [...figures.keys()].sort();
  const repositories: Record<string, RepositoryReport> = {};
  let size = 200 + (reporter?.length ?? 0);
  let truncated = false;
  for (const name of names) {
    const e = entry(figures.get(name)!);
    const cost = JSON.stringify(e).length + name.length + 4;
    if (size + cost > maxBytes) {
      truncated = true;
      break;
    }
    size += cost;
    repositories[name] = e;
  }
  return { observedTime: iso(nowMs), repositories, ...(truncated ? { truncated } : {}), ...(reporter ? { reporter } : {}) };
}
