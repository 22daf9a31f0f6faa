/**
 * What a migration copies, found by walking a store through the driver contract (pure reads): the blobs at their
 * content-addressed paths (manifests are blobs too), and each repository's small files, split into the links
 * (layers, manifest revisions, referrers), which must arrive before the tags that make a manifest reachable by name.
 */
import { parseDigest, type Digest } from '../../oci/digest.js';
import type { StorageDriver } from '../driver.js';
import { BLOBS_DIR, repositoryPath, tagsDir } from '../paths.js';

/** Every blob at its own path (`blobs/<alg>/<xx>/<hex>`); what garbage collection condemned is left out. */
export async function listBlobs(driver: StorageDriver): Promise<Digest[]> {
  const found: Digest[] = [];
  for (const alg of await driver.list(BLOBS_DIR)) {
    if (!alg.isDirectory) continue;
    for (const shard of await driver.list(`${BLOBS_DIR}/${alg.name}`)) {
      if (!shard.isDirectory) continue;
      for (const file of await driver.list(`${BLOBS_DIR}/${alg.name}/${shard.name}`)) {
        const digest = file.isDirectory ? undefined : parseDigest(`${alg.name}:${file.name}`);
        if (digest && digest.hex.startsWith(shard.name)) found.push(digest);
      }
    }
  }
  return found;
}

/** Every file below a folder, as full paths (empty when the folder is absent). */
export async function filesBelow(driver: StorageDriver, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await driver.list(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...(await filesBelow(driver, path)));
    else out.push(path);
  }
  return out;
}

/** The small files of one repository: links first, tags apart. */
export interface RepositoryFiles {
  links: string[];
  tags: string[];
}

export async function repositoryFiles(driver: StorageDriver, name: string): Promise<RepositoryFiles> {
  const root = repositoryPath(name);
  const [layers, revisions, referrers, tags] = await Promise.all([
    filesBelow(driver, `${root}/_layers`),
    filesBelow(driver, `${root}/_manifests/revisions`),
    filesBelow(driver, `${root}/_referrers`),
    filesBelow(driver, tagsDir(name)),
  ]);
  return { links: [...layers, ...revisions, ...referrers], tags };
}
