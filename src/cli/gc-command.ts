/**
 * `berth gc [--config FILE] [--storage DIR] [--dry-run] [--grace-period D] [--untagged keep|DURATION]
 * [--wait DURATION]`: one online garbage collection over the registry's storage, safe while registries serve it (see
 * gc/collector.ts).
 */
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, type RegistryConfig } from '../shared/registry-config.js';
import { parseDuration } from '../shared/duration.js';
import { openDriver } from '../registry/storage/drivers/open.js';
import { createStorage } from '../registry/storage/index.js';
import { collectGarbage, type GcPolicy, type GcProgress, type GcReport } from '../registry/storage/gc/collector.js';
import { gcPolicyOf } from '../registry/storage/gc/config.js';

export const GC_USAGE = `Usage: berth gc [--config FILE] [--storage DIR] [--dry-run] [--grace-period DURATION] [--untagged keep|DURATION]
               [--wait DURATION]

Deletes blobs no manifest references (older than the grace period), and untagged manifests when the policy says so,
while registries keep serving the same storage. Only one collector runs at a time (a lease in the storage).
  --config FILE            registry config; its storage section (and storage.gc policy) apply
  --storage DIR            storage root (overrides the config)
  --dry-run                print what would be deleted and how many bytes; change nothing
  --grace-period DURATION  keep unreferenced blobs younger than this (default: storage.gc.gracePeriod, else 1h)
  --untagged keep|DURATION keep untagged manifests, or delete those older than DURATION (default: storage.gc.untagged)
  --wait DURATION          while another collection holds the lease, keep trying for up to DURATION (default: fail at once)`;

/** Pause between tries for the lease while waiting: short, jittered, so a free moment between collections is caught. */
const LEASE_RETRY_MS = { min: 20, max: 120 } as const;

function policyFrom(config: RegistryConfig, grace?: string, untagged?: string): GcPolicy {
  const policy = gcPolicyOf(config.storage.gc);
  const duration = (text: string, flag: string): number => {
    const ms = parseDuration(text);
    if (ms === undefined) throw new ConfigError(flag, 'must be a duration such as 90s, 5m or 24h');
    return ms;
  };
  if (grace !== undefined) policy.gracePeriodMs = duration(grace, '--grace-period');
  if (untagged === 'keep') delete policy.untaggedMaxAgeMs;
  else if (untagged !== undefined) policy.untaggedMaxAgeMs = duration(untagged, '--untagged');
  return policy;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function printReport(r: GcReport): void {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  for (const item of r.deleted) {
    const where = item.repository ? ` in ${item.repository}` : '';
    console.log(`${verb} ${item.kind} ${item.digest}${where}${item.kind === 'blob' ? ` (${item.size} bytes)` : ''}`);
  }
  for (const b of r.broken) console.log(`warning: kept manifest ${b} has missing or unreadable bytes`);
  console.log(
    `${r.repositories} repositories, ${r.manifestsKept} manifests kept; ${verb} ${r.blobsDeleted} blobs (${r.bytesFreed} bytes, ` +
      `${mib(r.bytesFreed)}), ${r.manifestsDeleted} manifests, ${r.linksDeleted} links, in ${(r.durationMs / 1000).toFixed(1)}s`,
  );
}

export async function gcCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(GC_USAGE);
    return 0;
  }
  let config: RegistryConfig;
  let policy: GcPolicy;
  let dryRun: boolean;
  let waitMs = 0;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        storage: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'grace-period': { type: 'string' },
        untagged: { type: 'string' },
        wait: { type: 'string' },
      },
      strict: true,
    });
    const base = values.config ? await loadConfigFile(values.config) : DEFAULT_CONFIG;
    config = { ...base, storage: { ...base.storage, root: values.storage ?? base.storage.root } };
    policy = policyFrom(config, values['grace-period'], values.untagged);
    dryRun = values['dry-run'] ?? false;
    if (values.wait !== undefined) {
      const ms = parseDuration(values.wait);
      if (ms === undefined) throw new ConfigError('--wait', 'must be a duration such as 90s, 5m or 24h');
      waitMs = ms;
    }
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `berth gc: ${(err as Error).message}\n\n${GC_USAGE}`);
    return 2;
  }
  const driver = await openDriver(config.storage);
  const storage = createStorage(driver);
  const onProgress = (p: GcProgress): void => {
    console.error(`gc: ${p.phase}: ${p.repositories} repositories, ${p.manifests} manifests, ${p.blobs} blobs`);
  };
  const leaseTtlMs = config.storage.gc?.leaseMs;
  const collect = (): Promise<GcReport> =>
    collectGarbage({ driver, blobs: storage.blobs, catalog: storage.catalog }, { policy, dryRun, onProgress, ...(leaseTtlMs ? { leaseTtlMs } : {}) });
  const deadline = Date.now() + waitMs;
  let report = await collect();
  if (!report.ran && waitMs > 0) console.error(`berth gc: another garbage collection holds the lease; waiting up to ${`${Math.round(waitMs / 1000)}s`}`);
  while (!report.ran && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, LEASE_RETRY_MS.min + Math.random() * (LEASE_RETRY_MS.max - LEASE_RETRY_MS.min)));
    report = await collect();
  }
  if (!report.ran) {
    console.error(`berth gc: another garbage collection holds the lease; try again later${waitMs > 0 ? ' (or with a longer --wait)' : ''}`);
    return 1;
  }
  printReport(report);
  return 0;
}
