/**
 * The sweep's steps over the driver: listing stored blobs, condemning a file (moving it to `gc/trash/`), restoring
 * or deleting what was condemned, and removing repository links that point to deleted blobs. The ordering that
 * makes these safe is argued in collector.ts.
 */
import { formatDigest, parseDigest } from '../../oci/digest.js';
import type { StorageDriver } from '../driver.js';
import { BLOBS_DIR, blobPath, layerLinkPath, repositoryPath, TRASH_DIR, trashPath } from '../paths.js';

/** A stored blob: its digest and path. */
export interface StoredBlob {
  digest: string;
  path: string;
}

/** Every blob in the store (`blobs/<alg>/<xx>/<hex>`). */
export async function* storedBlobs(driver: StorageDriver): AsyncGenerator<StoredBlob> {
  for (const alg of await driver.list(BLOBS_DIR)) {
    if (!alg.isDirectory) continue;
    for (const prefix of await driver.list(`${BLOBS_DIR}/${alg.name}`)) {
      if (!prefix.isDirectory) continue;
      for (const entry of await driver.list(`${BLOBS_DIR}/${alg.name}/${prefix.name}`)) {
        const d = parseDigest(`${alg.name}:${entry.name}`);
        if (d && !entry.isDirectory) yield { digest: formatDigest(d), path: blobPath(d) };
      }
    }
  }
}

export type CondemnOutcome = 'condemned' | 'fresh' | 'gone';

/**
 * Moves a file to the trash, then looks at the mtime of what it moved: a file written at or after `freshSinceMs`
 * (a blob uploaded again, a manifest pushed again, just before the move) goes straight back.
 */
export async function condemn(driver: StorageDriver, path: string, freshSinceMs: number): Promise<CondemnOutcome> {
  try {
    await driver.move(path, trashPath(path));
  } catch {
    return 'gone';
  }
  const moved = await driver.stat(trashPath(path));
  if (moved && moved.mtimeMs < freshSinceMs) return 'condemned';
  await restore(driver, path);
  return 'fresh';
}

/** Moves a condemned file back (a no-op when a push already rescued it). */
export async function restore(driver: StorageDriver, path: string): Promise<void> {
  await driver.move(trashPath(path), path).catch(() => undefined);
}

/** Deletes a condemned file for good; its size, or undefined when it was rescued meanwhile. */
export async function destroy(driver: StorageDriver, path: string): Promise<number | undefined> {
  const info = await driver.stat(trashPath(path));
  if (!info || !(await driver.delete(trashPath(path)))) return undefined;
  return info.size;
}

/** Every file left in the trash (a collection that crashed), as the paths they came from. */
export async function trashed(driver: StorageDriver, dir = TRASH_DIR, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await driver.list(dir)) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...(await trashed(driver, `${dir}/${e.name}`, path)));
    else out.push(path);
  }
  return out;
}

/**
 * Removes the layer links of `repository` to deleted blobs. Each removal is followed by a look at the blob: if an
 * upload stored it again meanwhile (it stores the blob before it links it), the link is put back.
 */
export async function unlinkDeleted(driver: StorageDriver, repository: string, deleted: Set<string>): Promise<number> {
  const dir = `${repositoryPath(repository)}/_layers`;
  let removed = 0;
  for (const alg of await driver.list(dir)) {
    for (const entry of await driver.list(`${dir}/${alg.name}`)) {
      const d = parseDigest(`${alg.name}:${entry.name}`);
      if (!d || !deleted.has(formatDigest(d))) continue;
      if (!(await driver.delete(layerLinkPath(repository, d)))) continue;
      if (await driver.stat(blobPath(d))) await driver.put(layerLinkPath(repository, d), '');
      else removed++;
    }
  }
  return removed;
}
