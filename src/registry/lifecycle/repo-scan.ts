/**
 * One repository as the lifecycle sees it, read from storage: its tags (target and push time: the tag file's
 * mtime, stamped by the driver when a push writes it), and its manifests with what each one holds (its own bytes,
 * its config and layers, with sizes) and its edges (index children, subject). The work is proportional to the
 * repository, never to the store.
 */
import { formatDigest, parseDigest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import type { BlobStore } from '../storage/blobs.js';
import type { StorageDriver } from '../storage/driver.js';
import { listRevisionDigests } from '../storage/gc/mark.js';
import { blobPath, manifestRevisionPath, tagPath, tagsDir, trashPath } from '../storage/paths.js';
import type { ManifestNode, TagInfo } from './retention-plan.js';

export interface HeldBlob {
  digest: string;
  size: number;
}

export interface ScannedManifest extends ManifestNode {
  size: number;
  /** Config and layers (not children: they are manifests of their own). */
  blobs: HeldBlob[];
}

export interface RepositoryScan {
  tags: TagInfo[];
  manifests: ScannedManifest[];
}

/** Size of a stored blob (also while condemned by a running collection), or undefined. */
export async function blobSize(driver: StorageDriver, digest: string, cache?: Map<string, number>): Promise<number | undefined> {
  const cached = cache?.get(digest);
  if (cached !== undefined) return cached;
  const d = parseDigest(digest);
  if (!d) return undefined;
  const info = (await driver.stat(blobPath(d))) ?? (await driver.stat(trashPath(blobPath(d))));
  if (info) cache?.set(digest, info.size);
  return info?.size;
}

/** The tags of a repository with their targets and push times. */
export async function scanTags(driver: StorageDriver, repository: string): Promise<TagInfo[]> {
  const out: TagInfo[] = [];
  for (const entry of await driver.list(tagsDir(repository))) {
    if (entry.isDirectory) continue;
    const path = tagPath(repository, entry.name);
    const [raw, info] = await Promise.all([driver.get(path), driver.stat(path)]);
    const digest = raw && parseDigest(raw.toString('utf8').trim());
    if (digest && info) out.push({ tag: entry.name, digest: formatDigest(digest), pushedAtMs: info.mtimeMs });
  }
  return out;
}

/** One manifest's holdings and edges; a manifest whose bytes are missing or unreadable holds only what is known. */
export async function scanManifest(
  driver: StorageDriver,
  blobs: BlobStore,
  repository: string,
  digest: string,
  cache?: Map<string, number>,
): Promise<ScannedManifest | undefined> {
  const d = parseDigest(digest);
  if (!d) return undefined;
  const bytes = await blobs.read(d);
  if (!bytes) return { digest, children: [], size: 0, blobs: [] };
  const mediaType = (await driver.get(manifestRevisionPath(repository, d)))?.toString('utf8');
  try {
    const m = parseManifest(bytes, mediaType || undefined);
    const held: HeldBlob[] = [];
    for (const b of new Set(m.blobs.map(formatDigest))) held.push({ digest: b, size: (await blobSize(driver, b, cache)) ?? 0 });
    return {
      digest,
      size: bytes.length,
      blobs: held,
      children: m.children.map(formatDigest),
      ...(m.subject ? { subject: formatDigest(m.subject) } : {}),
    };
  } catch {
    return { digest, children: [], size: bytes.length, blobs: [] };
  }
}

export async function scanRepository(
  driver: StorageDriver,
  blobs: BlobStore,
  repository: string,
  cache?: Map<string, number>,
): Promise<RepositoryScan> {
  const tags = await scanTags(driver, repository);
  const manifests: ScannedManifest[] = [];
  for (const d of await listRevisionDigests(driver, repository)) {
    const m = await scanManifest(driver, blobs, repository, formatDigest(d), cache);
    if (m) manifests.push(m);
  }
  return { tags, manifests };
}
