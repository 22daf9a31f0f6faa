/**
 * `berth storage migrate`: copies a registry from one store to another through the driver contract, so any pair of
 * drivers works (a filesystem to S3, a bucket to another). In order: every blob (manifests are blobs), verified
 * while it streams; then each repository's links (layers, manifest revisions, referrers); then the tags, so a
 * manifest is reachable by name at the target only once everything it needs is there. Upload sessions in flight
 * are not copied (clients retry them).
 *
 * Idempotent and resumable: what the target already has (a blob at its digest path, a small file with the same
 * bytes) is skipped, so a run cut short is finished by running it again, and a run while the source serves is
 * caught up by another. With `prune`, the target's links and tags that the source no longer has are deleted (a
 * final pass after tags were moved or deleted); blobs are never deleted (garbage collection does that).
 */
import { formatDigest } from '../../oci/digest.js';
import { createLimiter } from '../../../shared/concurrency.js';
import { CatalogStore } from '../catalog.js';
import type { StorageDriver } from '../driver.js';
import { copyBlob, copySmall, removeLeftoverSessions, type CopyOutcome } from './copy.js';
import { listBlobs, repositoryFiles } from './walk.js';

export interface MigrationOptions {
  /** Items copied at once (default 4); each blob in flight holds at most one part of the target's writer. */
  concurrency?: number;
  /** Delete the target's links and tags the source no longer has. */
  prune?: boolean;
  /** Called after every item with the counts so far. */
  onProgress?: (p: MigrationProgress) => void;
}

export interface Counts {
  copied: number;
  skipped: number;
}

export interface MigrationProgress {
  phase: 'listing' | 'blobs' | 'links' | 'tags' | 'prune' | 'done';
  blobs: Counts & { total: number };
  /** Bytes of blobs copied (not counting those skipped). */
  bytesCopied: number;
  /** Bytes of blobs already at the target. */
  bytesSkipped: number;
  links: Counts & { total: number };
  tags: Counts & { total: number };
  repositories: number;
  pruned: number;
  errors: number;
}

export interface MigrationReport extends MigrationProgress {
  errors: number;
  problems: Array<{ item: string; message: string }>;
  durationMs: number;
}

function emptyProgress(): MigrationProgress {
  const counts = () => ({ copied: 0, skipped: 0, total: 0 });
  return { phase: 'listing', blobs: counts(), bytesCopied: 0, bytesSkipped: 0, links: counts(), tags: counts(), repositories: 0, pruned: 0, errors: 0 };
}

export async function migrateStorage(from: StorageDriver, to: StorageDriver, options: MigrationOptions = {}): Promise<MigrationReport> {
  const started = Date.now();
  const progress = emptyProgress();
  const problems: MigrationReport['problems'] = [];
  const limit = createLimiter(Math.max(1, options.concurrency ?? 4));
  const report = () => options.onProgress?.(structuredClone(progress));

  /** Runs the copies of one phase, `concurrency` at a time; a failed item is recorded, the rest go on. */
  const phase = async <T>(name: MigrationProgress['phase'], items: readonly T[], label: (item: T) => string, copy: (item: T) => Promise<CopyOutcome>, counts: Counts, bytes = false) => {
    progress.phase = name;
    report();
    await Promise.all(
      items.map((item) =>
        limit(async () => {
          try {
            const outcome = await copy(item);
            if (outcome.kind === 'copied') counts.copied++;
            if (outcome.kind === 'skipped') counts.skipped++;
            if (bytes && outcome.kind === 'copied') progress.bytesCopied += outcome.bytes;
            if (bytes && outcome.kind === 'skipped') progress.bytesSkipped += outcome.bytes;
          } catch (err) {
            progress.errors++;
            problems.push({ item: label(item), message: (err as Error).message });
          }
          report();
        }),
      ),
    );
  };

  const blobs = await listBlobs(from);
  progress.blobs.total = blobs.length;
  await removeLeftoverSessions(to, blobs);
  await phase('blobs', blobs, formatDigest, (d) => copyBlob(from, to, d), progress.blobs, true);

  const names = await new CatalogStore(from).repositories();
  progress.repositories = names.length;
  const files = await Promise.all(names.map((name) => limit(() => repositoryFiles(from, name))));
  const links = files.flatMap((f) => f.links);
  const tags = files.flatMap((f) => f.tags);
  progress.links.total = links.length;
  progress.tags.total = tags.length;
  await phase('links', links, String, (p) => copySmall(from, to, p), progress.links);
  await phase('tags', tags, String, (p) => copySmall(from, to, p), progress.tags);

  if (options.prune) {
    progress.phase = 'prune';
    report();
    const keep = new Set([...links, ...tags]);
    const targetFiles = await Promise.all((await new CatalogStore(to).repositories()).map((name) => limit(() => repositoryFiles(to, name))));
    // tags go before the links they may point through
    const extra = targetFiles.flatMap((f) => [...f.tags, ...f.links]).filter((p) => !keep.has(p));
    for (const path of extra) {
      if (await to.delete(path)) progress.pruned++;
    }
  }
  progress.phase = 'done';
  report();
  return { ...progress, problems, durationMs: Date.now() - started };
}
