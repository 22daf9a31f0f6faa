/**
 * `berth scrub [--config FILE] [--storage DIR] [--dry-run] [--concurrency N]`: re-reads every blob of the registry's
 * storage and checks its digest, while registries serve it (see storage/scrub/scrub.ts). Exit code 0 when every
 * blob is sound, 1 when corruption was found (or a blob could not be read), 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, type RegistryConfig } from '../shared/registry-config.js';
import { openDriver } from '../registry/storage/drivers/open.js';
import { createStorage } from '../registry/storage/index.js';
import { corruptMessage } from '../registry/storage/scrub/schedule.js';
import { scrubBlobs, type ScrubReport } from '../registry/storage/scrub/scrub.js';

export const SCRUB_USAGE = `Usage: berth scrub [--config FILE] [--storage DIR] [--dry-run] [--concurrency N]

Re-reads every stored blob and checks that its bytes hash to its digest. A corrupt blob is reported with the
repositories that link it and moved under quarantine/ in the storage, so it is never served again (pushing the
same content again heals it). Safe while registries serve the same storage. Exit code 1 when corruption was found.
  --config FILE      registry config; its storage section (and storage.scrub.concurrency) apply
  --storage DIR      storage root (overrides the config)
  --dry-run          report corrupt blobs; move nothing
  --concurrency N    blobs read at once (default: storage.scrub.concurrency, else 2)`;

interface Args {
  config: RegistryConfig;
  dryRun: boolean;
  concurrency: number;
}

async function parse(argv: string[]): Promise<Args> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      storage: { type: 'string' },
      'dry-run': { type: 'boolean' },
      concurrency: { type: 'string' },
    },
    strict: true,
  });
  const base = values.config ? await loadConfigFile(values.config) : DEFAULT_CONFIG;
  const config = { ...base, storage: { ...base.storage, root: values.storage ?? base.storage.root } };
  const concurrency = values.concurrency === undefined ? (config.storage.scrub?.concurrency ?? 2) : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new ConfigError('--concurrency', 'must be a whole number from 1 to 64');
  }
  return { config, dryRun: values['dry-run'] ?? false, concurrency };
}

function summary(r: ScrubReport): string {
  const mib = (r.bytesChecked / 1024 / 1024).toFixed(1);
  const found = r.corrupt.length === 0 ? 'no corrupt blob' : `${r.corrupt.length} corrupt (${r.dryRun ? 'dry run: none moved' : 'quarantined'})`;
  const unreadable = r.unreadable.length > 0 ? `, ${r.unreadable.length} unreadable` : '';
  return `scrub: ${r.blobsChecked} blobs (${r.bytesChecked} bytes, ${mib} MiB) checked in ${(r.durationMs / 1000).toFixed(1)}s: ${found}${unreadable}`;
}

export async function scrubCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SCRUB_USAGE);
    return 0;
  }
  let args: Args;
  try {
    args = await parse(argv);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `berth scrub: ${(err as Error).message}\n\n${SCRUB_USAGE}`);
    return 2;
  }
  const driver = await openDriver(args.config.storage);
  const storage = createStorage(driver);
  let blobs = 0;
  let bytes = 0;
  let lastProgress = Date.now();
  const report = await scrubBlobs(
    { driver, catalog: storage.catalog },
    {
      dryRun: args.dryRun,
      concurrency: args.concurrency,
      onChecked: (size) => {
        blobs++;
        bytes += size;
        if (Date.now() - lastProgress < 2000) return;
        lastProgress = Date.now();
        console.error(`scrub: ${blobs} blobs, ${(bytes / 1024 / 1024).toFixed(1)} MiB checked so far`);
      },
      onCorrupt: (blob) => console.log(corruptMessage(blob)),
    },
  );
  for (const u of report.unreadable) console.log(`unreadable blob ${u.digest}: ${u.error}`);
  console.log(summary(report));
  return report.corrupt.length > 0 || report.unreadable.length > 0 ? 1 : 0;
}
