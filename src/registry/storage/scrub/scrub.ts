/**
 * Scrub: re-reads every stored blob through the storage driver (so it works on every driver) and checks that its
 * bytes hash to its name. A corrupt blob is reported with the repositories that link it and quarantined
 * (quarantine.ts): from then on GET and HEAD answer BLOB_UNKNOWN, and pushing the same content again heals it.
 *
 * Bounded work: at most `concurrency` blobs are read at once, each streamed through its hash, and blobs are listed
 * folder by folder, so memory does not grow with the store. Safe while registries serve and collect the same
 * storage: a blob deleted meanwhile is skipped, a read that fails (an I/O error, an unreachable bucket) is counted
 * and reported but never quarantines anything, and a blob re-stored between the read and the move is put back.
 */
import { parseDigest } from '../../oci/digest.js';
import type { CatalogStore } from '../catalog.js';
import type { StorageDriver } from '../driver.js';
import { storedBlobs, type StoredBlob } from '../gc/sweep.js';
import { hashFile, linkingRepositories, quarantineBlob } from './quarantine.js';

export interface ScrubOptions {
  /** Report corrupt blobs, move nothing. */
  dryRun?: boolean;
  /** Blobs read at once (default 2). */
  concurrency?: number;
  /** Stops listing further blobs (those being read finish). */
  signal?: AbortSignal;
  /** Called after each blob read whole, with its size. */
  onChecked?: (size: number) => void;
  /** Called for each corrupt blob found, once it is quarantined (or would be, on a dry run). */
  onCorrupt?: (blob: CorruptBlob) => void;
}

export interface CorruptBlob {
  digest: string;
  /** The digest its bytes have. */
  actual: string;
  size: number;
  /** Repositories that link it (layer, config or manifest). */
  repositories: string[];
  /** Moved under `quarantine/` (false on a dry run, or when a push stored the right bytes meanwhile). */
  quarantined: boolean;
}

export interface ScrubReport {
  dryRun: boolean;
  startedAt: number;
  durationMs: number;
  blobsChecked: number;
  bytesChecked: number;
  corrupt: CorruptBlob[];
  /** Blobs that could not be read (not quarantined), with the error. */
  unreadable: Array<{ digest: string; error: string }>;
}

export interface ScrubStores {
  driver: StorageDriver;
  catalog: CatalogStore;
}

/** One pass over every stored blob. */
export async function scrubBlobs({ driver, catalog }: ScrubStores, opts: ScrubOptions = {}): Promise<ScrubReport> {
  const report: ScrubReport = {
    dryRun: opts.dryRun ?? false,
    startedAt: Date.now(),
    durationMs: 0,
    blobsChecked: 0,
    bytesChecked: 0,
    corrupt: [],
    unreadable: [],
  };
  let repositories: Promise<string[]> | undefined; // listed once, and only when something is corrupt
  const check = async (blob: StoredBlob): Promise<void> => {
    const digest = parseDigest(blob.digest)!;
    let read;
    try {
      read = await hashFile(driver, blob.path, digest.algorithm);
    } catch (err) {
      report.unreadable.push({ digest: blob.digest, error: (err as Error).message });
      return;
    }
    if (!read) return;
    report.blobsChecked++;
    report.bytesChecked += read.size;
    opts.onChecked?.(read.size);
    if (read.hex === digest.hex) return;
    const outcome = report.dryRun ? 'quarantined' : await quarantineBlob(driver, digest);
    if (outcome !== 'quarantined') return;
    repositories ??= catalog.repositories();
    const corrupt: CorruptBlob = {
      digest: blob.digest,
      actual: `${digest.algorithm}:${read.hex}`,
      size: read.size,
      repositories: await linkingRepositories(driver, await repositories, digest),
      quarantined: !report.dryRun,
    };
    report.corrupt.push(corrupt);
    opts.onCorrupt?.(corrupt);
  };
  await forEachBounded(storedBlobs(driver), opts.concurrency ?? 2, opts.signal, async (blob) => {
    try {
      await check(blob);
    } catch (err) {
      report.unreadable.push({ digest: blob.digest, error: (err as Error).message });
    }
  });
  report.durationMs = Date.now() - report.startedAt;
  return report;
}

/** Runs `fn` over a stream of items, at most `limit` at once (`fn` must not throw); stops listing on `signal`. */
async function forEachBounded<T>(
  items: AsyncIterable<T>,
  limit: number,
  signal: AbortSignal | undefined,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    if (signal?.aborted) break;
    const task: Promise<void> = fn(item).finally(() => running.delete(task));
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
}
