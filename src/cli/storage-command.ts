/**
 * `berth storage migrate --from <config|dir> --to <config|dir>`: copies a registry between stores (see
 * src/registry/storage/migrate/migrate.ts), with a progress line on stderr and a report on stdout.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, type StorageConfig } from '../shared/registry-config.js';
import { openDriver } from '../registry/storage/drivers/open.js';
import { migrateStorage, type MigrationProgress, type MigrationReport } from '../registry/storage/migrate/migrate.js';

export const STORAGE_USAGE = `Usage: berth storage migrate --from <config|dir> --to <config|dir> [--concurrency N] [--prune]

Copies a registry's blobs (verified while they stream), manifests, tags, referrers and repository links to
another store, for example from a filesystem to an S3 bucket. The source may keep serving meanwhile. Run it again
to resume an interrupted run or to catch up: what the target already has is skipped.
  --from CONFIG|DIR   the source: a registry config file (its storage section), or a filesystem storage root
  --to CONFIG|DIR     the target, the same way (a folder that does not exist yet is created)
  --concurrency N     items copied at once (default 4)
  --prune             also delete the target's tags and links the source no longer has (a final pass)`;

/** A config file's storage section, or a directory as a filesystem root (a new one, for the target). */
async function storageOf(path: string, flag: string): Promise<StorageConfig> {
  const info = await stat(path).catch(() => undefined);
  const newFolder = !info && flag === '--to' && !/\.ya?ml$/.test(path);
  if (!info && !newFolder) throw new ConfigError(flag, `${path} does not exist`);
  if (newFolder || info!.isDirectory()) return { ...DEFAULT_CONFIG.storage, driver: 'filesystem', root: path };
  const config = await loadConfigFile(path);
  if (config.storage.driver === 'memory') throw new ConfigError(flag, 'a memory store cannot be migrated from or to');
  return config.storage;
}

/** Where a store is, to refuse copying a store onto itself. */
function place(s: StorageConfig): string {
  return s.driver === 's3' && s.s3 ? `s3 ${s.s3.endpoint} ${s.s3.bucket} ${s.s3.prefix}` : `${s.driver} ${resolve(s.root)}`;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function progressLine(p: MigrationProgress): string {
  const of = (c: { copied: number; skipped: number; total: number }) => `${c.copied + c.skipped}/${c.total}`;
  return (
    `migrate: ${p.phase}: blobs ${of(p.blobs)} (${mib(p.bytesCopied)} copied), links ${of(p.links)}, tags ${of(p.tags)}` +
    `, skipped ${p.blobs.skipped + p.links.skipped + p.tags.skipped}, errors ${p.errors}`
  );
}

function printReport(r: MigrationReport): void {
  for (const p of r.problems) console.log(`error: ${p.item}: ${p.message}`);
  console.log(
    `${r.repositories} repositories; blobs: ${r.blobs.copied} copied (${r.bytesCopied} bytes, ${mib(r.bytesCopied)}), ` +
      `${r.blobs.skipped} already there (${mib(r.bytesSkipped)}); links: ${r.links.copied} copied, ${r.links.skipped} already there; ` +
      `tags: ${r.tags.copied} copied, ${r.tags.skipped} already there; ${r.pruned} pruned; ${r.errors} errors; ` +
      `in ${(r.durationMs / 1000).toFixed(1)}s`,
  );
}

/** Prints the progress line at most once a second (overwritten in place on a terminal). */
function progressPrinter(): { onProgress: (p: MigrationProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let pending: MigrationProgress | undefined;
  const print = (p: MigrationProgress) => process.stderr.write(tty ? `\r\x1b[K${progressLine(p)}` : `${progressLine(p)}\n`);
  return {
    onProgress: (p) => {
      pending = p;
      if (Date.now() - last < 1000 && p.phase !== 'done') return;
      last = Date.now();
      print(p);
      pending = undefined;
    },
    end: () => {
      if (pending) print(pending);
      if (tty) process.stderr.write('\n');
    },
  };
}

async function migrateCommand(argv: string[]): Promise<number> {
  let from: StorageConfig;
  let to: StorageConfig;
  let concurrency: number;
  let prune: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { from: { type: 'string' }, to: { type: 'string' }, concurrency: { type: 'string' }, prune: { type: 'boolean' } },
      strict: true,
    });
    if (!values.from || !values.to) throw new Error('--from and --to are required');
    concurrency = Number(values.concurrency ?? '4');
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new ConfigError('--concurrency', 'must be a whole number from 1 to 64');
    from = await storageOf(values.from, '--from');
    to = await storageOf(values.to, '--to');
    if (place(from) === place(to)) throw new Error('--from and --to are the same store');
    prune = values.prune ?? false;
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `berth storage migrate: ${(err as Error).message}\n\n${STORAGE_USAGE}`);
    return 2;
  }
  const [source, target] = await Promise.all([openDriver(from), openDriver(to)]);
  const printer = progressPrinter();
  const report = await migrateStorage(source, target, { concurrency, prune, onProgress: printer.onProgress });
  printer.end();
  printReport(report);
  return report.errors === 0 ? 0 : 1;
}

export async function storageCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || rest.includes('--help') || rest.includes('-h')) {
    console.log(STORAGE_USAGE);
    return verb === undefined ? 2 : 0;
  }
  if (verb !== 'migrate') {
    console.error(`berth storage: unknown command "${verb}"\n\n${STORAGE_USAGE}`);
    return 2;
  }
  return migrateCommand(rest);
}
