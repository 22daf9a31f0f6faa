/**
 * What scrub does to one blob: hash its bytes as the driver streams them (never the whole blob in memory), move a
 * corrupt one under `quarantine/` so that nothing serves it again, and find the repositories that link it.
 */
import { newHash, type Algorithm, type Digest } from '../../oci/digest.js';
import type { StorageDriver } from '../driver.js';
import { blobPath, layerLinkPath, manifestRevisionPath, quarantinePath } from '../paths.js';

/** What reading a file back gave: its length and the hex digest of its bytes. */
export interface Hashed {
  size: number;
  hex: string;
}

/** Streams a file through a hash; undefined when it is not there (deleted meanwhile, e.g. by GC). */
export async function hashFile(driver: StorageDriver, path: string, algorithm: Algorithm): Promise<Hashed | undefined> {
  const stream = await driver.reader(path);
  if (!stream) return undefined;
  const hash = newHash(algorithm);
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, hex: hash.digest('hex') };
}

/**
 * - `quarantined`: the corrupt bytes are under `quarantine/` now.
 * - `replaced`: what was moved hashes right after all (a push of the same content replaced the file between the read
 *   and the move), so it was put back.
 * - `gone`: nothing was at the blob's path any more.
 */
export type QuarantineOutcome = 'quarantined' | 'replaced' | 'gone';

/**
 * Moves a blob found corrupt to `quarantine/<its path>`, then hashes what it moved: a push that stored the right
 * bytes again between scrub's read and this move must not lose them, so correct bytes go straight back. Reads never
 * look under `quarantine/`, so from the move on the blob answers BLOB_UNKNOWN (and a client pushing it uploads it
 * again, which heals it).
 */
export async function quarantineBlob(driver: StorageDriver, digest: Digest): Promise<QuarantineOutcome> {
  const path = blobPath(digest);
  const aside = quarantinePath(path);
  if (!(await driver.stat(path))) return 'gone';
  try {
    await driver.move(path, aside);
  } catch (err) {
    if (!(await driver.stat(path))) return 'gone';
    throw err;
  }
  const moved = await hashFile(driver, aside, digest.algorithm);
  if (moved?.hex !== digest.hex) return 'quarantined';
  await driver.move(aside, path);
  return 'replaced';
}

/** The repositories (of `repositories`) that link the blob: as a layer or config, or as a manifest. */
export async function linkingRepositories(driver: StorageDriver, repositories: readonly string[], digest: Digest): Promise<string[]> {
  const out: string[] = [];
  for (const repository of repositories) {
    const [layer, revision] = await Promise.all([
      driver.stat(layerLinkPath(repository, digest)),
      driver.stat(manifestRevisionPath(repository, digest)),
    ]);
    if (layer || revision) out.push(repository);
  }
  return out;
}
