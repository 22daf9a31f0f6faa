/**
 * Copying one item from a store to another through the driver contract. A blob streams from the source's reader
 * into an upload writer at the target while its digest is recomputed; it reaches its content-addressed path only
 * when the digest and size match, so a blob at the target is always whole and verified, and "already there" is a
 * stat. Small files (links, tags) are compared and written only when they differ. Both are idempotent.
 */
import { createHash } from 'node:crypto';
import { formatDigest, newHash, type Digest } from '../../oci/digest.js';
import type { StorageDriver } from '../driver.js';
import { blobPath, uploadDataPath, uploadDir, uploadInfoPath, UPLOADS_DIR } from '../paths.js';

export type CopyOutcome = { kind: 'copied'; bytes: number } | { kind: 'skipped'; bytes: number } | { kind: 'gone' };

/** A problem with one item: the migration goes on and reports it. */
export class MigrationItemError extends Error {}

/**
 * The upload session a blob is copied through at the target: the same for the same digest, so a copy cut by an
 * interruption is replaced (not leaked) by the next run; shaped like a session id, with an info file, so the
 * target's upload purge removes one that no run finishes.
 */
export function migrationUploadId(digest: Digest): string {
  const h = createHash('sha256').update(`berth storage migrate ${formatDigest(digest)}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Removes the sessions an interrupted run left at the target for these blobs: a run killed after a blob's commit and
 * before its session folder was deleted leaves the folder behind, and the next run skips that blob ("already
 * there"), so nothing else would remove it. One listing of the target's uploads; returns how many were removed.
 */
export async function removeLeftoverSessions(to: StorageDriver, digests: readonly Digest[]): Promise<number> {
  const ids = new Set(digests.map(migrationUploadId));
  let removed = 0;
  for (const entry of await to.list(UPLOADS_DIR)) {
    if (!ids.has(entry.name)) continue;
    const writer = await to.writer(uploadDataPath(entry.name), 'append');
    await writer?.cancel();
    await writer?.close();
    await to.delete(uploadDir(entry.name));
    removed++;
  }
  return removed;
}

export async function copyBlob(from: StorageDriver, to: StorageDriver, digest: Digest): Promise<CopyOutcome> {
  const path = blobPath(digest);
  const source = await from.stat(path);
  if (!source || source.isDirectory) return { kind: 'gone' };
  const there = await to.stat(path);
  if (there) {
    if (there.size !== source.size) {
      throw new MigrationItemError(`${formatDigest(digest)}: the target already holds ${there.size} bytes, the source ${source.size}`);
    }
    return { kind: 'skipped', bytes: source.size };
  }
  const stream = await from.reader(path);
  if (!stream) return { kind: 'gone' };
  const id = migrationUploadId(digest);
  await to.put(uploadInfoPath(id), JSON.stringify({ repository: '', principal: 'berth storage migrate', startedAt: Date.now() }));
  const writer = await to.writer(uploadDataPath(id), 'create');
  try {
    const hash = newHash(digest.algorithm);
    const bytes = await writer.append(stream, (chunk) => hash.update(chunk));
    const actual = hash.digest('hex');
    if (actual !== digest.hex || bytes !== source.size) {
      throw new MigrationItemError(
        `${formatDigest(digest)}: the source's bytes hash to ${digest.algorithm}:${actual} (${bytes} bytes); not copied`,
      );
    }
    await writer.commit(path);
    return { kind: 'copied', bytes };
  } catch (err) {
    await writer.cancel().catch(() => undefined);
    throw err;
  } finally {
    await to.delete(uploadDir(id)).catch(() => undefined);
  }
}

/** Copies a small file when the target's bytes differ; `gone` when the source no longer has it. */
export async function copySmall(from: StorageDriver, to: StorageDriver, path: string): Promise<CopyOutcome> {
  const bytes = await from.get(path);
  if (!bytes) return { kind: 'gone' };
  const there = await to.get(path);
  if (there?.equals(bytes)) return { kind: 'skipped', bytes: bytes.length };
  await to.put(path, bytes);
  return { kind: 'copied', bytes: bytes.length };
}
