/** Lifecycle metrics: per-repository usage and quota, retention deletions, and refusals by reason. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface LifecycleMetrics {
  bytes: Gauge<'repository'>;
  tags: Gauge<'repository'>;
  quota: Gauge<'repository'>;
  lastPush: Gauge<'repository'>;
  retentionTags: Counter<'repository' | 'dry_run'>;
  retentionManifests: Counter<'repository'>;
  refusals: Counter<'reason'>;
}

export function createLifecycleMetrics(registry: Registry): LifecycleMetrics {
  const registers = [registry];
  return {
    bytes: new Gauge({ name: 'berth_repository_bytes', help: 'Bytes a repository holds (each blob once).', labelNames: ['repository'], registers }),
    tags: new Gauge({ name: 'berth_repository_tags', help: 'Tags of a repository.', labelNames: ['repository'], registers }),
    quota: new Gauge({ name: 'berth_repository_quota_bytes', help: 'The quota of a repository, in bytes.', labelNames: ['repository'], registers }),
    lastPush: new Gauge({
      name: 'berth_repository_last_push_timestamp_seconds',
      help: 'When a tag of the repository was last pushed.',
      labelNames: ['repository'],
      registers,
    }),
    retentionTags: new Counter({
      name: 'berth_retention_tags_deleted_total',
      help: 'Tags retention deleted (dry_run="true": would have deleted).',
      labelNames: ['repository', 'dry_run'],
      registers,
    }),
    retentionManifests: new Counter({
      name: 'berth_retention_manifests_deleted_total',
      help: 'Manifests retention deleted with their last tag.',
      labelNames: ['repository'],
      registers,
    }),
    refusals: new Counter({
      name: 'berth_lifecycle_refusals_total',
      help: 'Writes refused by a repository lifecycle rule, by reason (quota, immutable).',
      labelNames: ['reason'],
      registers,
    }),
  };
}
