/**
 * The mark phase: from each repository's roots (tagged manifests, and untagged ones the policy keeps) to everything
 * they reach: index children, configs and layers, referrers of kept manifests and subjects of kept referrers.
 * Reads only; the result is the set of digests whose bytes must stay, and the revisions the policy lets go.
 */
import { formatDigest, parseDigest, type Digest } from '../../oci/digest.js';
import { parseManifest } from '../../oci/manifest.js';
import type { BlobStore } from '../blobs.js';
import type { StorageDriver } from '../driver.js';
import { manifestRevisionPath, referrersDir, referrersRootDir, repositoryPath, tagsDir } from '../paths.js';
import { edgeCache, edgeKey, manifestEdges, type EdgeCache, type ManifestEdges } from './edge-cache.js';
import type { Pace } from './pace.js';

/** A revision (manifest link) of a repository, with its mtime (push time; rewritten by every push of it). */
export interface Revision {
  digest: string;
  mtimeMs: number;
}

export interface MarkOptions {
  /** Untagged manifests whose revision is older than this (ms since epoch) are let go; undefined keeps them all. */
  untaggedBeforeMs?: number;
  /** Rescan: only revisions written at or after this time are roots, and nothing is let go. */
  sinceMs?: number;
  /** Edges of manifests parsed before, by this run or earlier ones (edge-cache.ts); default: a cache for this call. */
  edges?: EdgeCache;
  /** Called before each manifest (pace.ts). */
  pace?: Pace;
}

export interface RepositoryMark {
  /** Digests (manifests, configs, layers) this repository keeps. */
  reachable: Set<string>;
  /** Revisions the policy lets go (untagged, old, not reached from a kept manifest). */
  unkept: Revision[];
  manifests: number;
  /** Kept manifests whose bytes are missing or unreadable (reported, never deleted). */
  broken: string[];
}

/** Digests of the revisions of a repository (listings only). */
export async function listRevisionDigests(driver: StorageDriver, repository: string): Promise<Digest[]> {
  const dir = `${repositoryPath(repository)}/_manifests/revisions`;
  const out: Digest[] = [];
  for (const alg of await driver.list(dir)) {
    if (!alg.isDirectory) continue;
    for (const entry of await driver.list(`${dir}/${alg.name}`)) {
      const digest = parseDigest(`${alg.name}:${entry.name}`);
      if (digest) out.push(digest);
    }
  }
  return out;
}

/** Revisions of a repository, with mtimes (one stat each). */
export async function listRevisions(driver: StorageDriver, repository: string): Promise<Revision[]> {
  const out: Revision[] = [];
  for (const digest of await listRevisionDigests(driver, repository)) {
    const info = await driver.stat(manifestRevisionPath(repository, digest));
    if (info) out.push({ digest: formatDigest(digest), mtimeMs: info.mtimeMs });
  }
  return out;
}

/** Revisions for the mark: their mtimes only when the roots depend on them (a rescan, an untagged policy). */
async function revisionsFor(driver: StorageDriver, repository: string, opts: MarkOptions): Promise<Revision[]> {
  if (opts.sinceMs !== undefined || opts.untaggedBeforeMs !== undefined) return listRevisions(driver, repository);
  // every revision is a root whatever its age (rootsOf), so its mtime is never read: no stat
  return (await listRevisionDigests(driver, repository)).map((d) => ({ digest: formatDigest(d), mtimeMs: Infinity }));
}

/** The digests the tags of a repository point to. */
export async function tagTargets(driver: StorageDriver, repository: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const entry of await driver.list(tagsDir(repository))) {
    if (entry.isDirectory) continue;
    const raw = await driver.get(`${tagsDir(repository)}/${entry.name}`);
    const digest = raw && parseDigest(raw.toString('utf8').trim());
    if (digest) out.add(formatDigest(digest));
  }
  return out;
}

/** Which revisions are roots: tagged, kept by policy, or (rescan) written since the mark began. */
export function rootsOf(revisions: Revision[], tagged: Set<string>, opts: MarkOptions): string[] {
  if (opts.sinceMs !== undefined) return revisions.filter((r) => r.mtimeMs >= opts.sinceMs!).map((r) => r.digest);
  const before = opts.untaggedBeforeMs;
  const roots = revisions.filter((r) => tagged.has(r.digest) || before === undefined || r.mtimeMs >= before);
  // a tag may point to a manifest whose revision is gone; its bytes are still kept if it exists
  const known = new Set(revisions.map((r) => r.digest));
  return [...roots.map((r) => r.digest), ...[...tagged].filter((d) => !known.has(d))];
}

/** Marks one repository. */
export async function markRepository(
  driver: StorageDriver,
  blobs: BlobStore,
  repository: string,
  opts: MarkOptions,
): Promise<RepositoryMark> {
  const revisions = await revisionsFor(driver, repository, opts);
  const tagged = opts.sinceMs === undefined ? await tagTargets(driver, repository) : new Set<string>();
  const queue = rootsOf(revisions, tagged, opts);
  const ctx: EdgeContext = { referred: await subjectsWithReferrers(driver, repository), edges: opts.edges ?? edgeCache() };
  const kept = new Set<string>();
  const reachable = new Set<string>();
  const broken: string[] = [];
  while (queue.length > 0) {
    await opts.pace?.();
    const d = queue.pop()!;
    if (kept.has(d)) continue;
    kept.add(d);
    reachable.add(d);
    const { next, ok } = await edgesOf(driver, blobs, repository, d, reachable, ctx);
    queue.push(...next);
    if (!ok) broken.push(d);
  }
  const unkept = opts.sinceMs === undefined ? revisions.filter((r) => !kept.has(r.digest)) : [];
  return { reachable, unkept, manifests: kept.size, broken };
}

interface EdgeContext {
  /** Subjects with a referrers folder in the repository, listed once when its mark began. */
  referred: Set<string>;
  edges: EdgeCache;
}

/**
 * Adds a kept manifest's blobs to `reachable` and returns the manifests it keeps in turn (children, subject,
 * referrers); `ok` is false when its bytes are missing or unreadable (its referrers are still kept).
 */
async function edgesOf(
  driver: StorageDriver,
  blobs: BlobStore,
  repository: string,
  digest: string,
  reachable: Set<string>,
  ctx: EdgeContext,
): Promise<{ next: string[]; ok: boolean }> {
  const d = parseDigest(digest)!;
  const referrers = ctx.referred.has(digest) ? await referrersOf(driver, repository, d) : [];
  const mediaType = (await driver.get(manifestRevisionPath(repository, d)))?.toString('utf8') || undefined;
  const edges = await parsedEdges(blobs, d, edgeKey(digest, mediaType), mediaType, ctx.edges);
  if (!edges) return { next: referrers, ok: false };
  for (const b of edges.blobs) reachable.add(b);
  const next = [...edges.children, ...referrers];
  if (edges.subject) next.push(edges.subject);
  return { next, ok: true };
}

/** A manifest's edges from the cache, else read and parsed (and cached); undefined when missing or unreadable. */
async function parsedEdges(
  blobs: BlobStore,
  d: Digest,
  key: string,
  mediaType: string | undefined,
  cache: EdgeCache,
): Promise<ManifestEdges | undefined> {
  const cached = cache.get(key);
  if (cached) return cached;
  const bytes = await blobs.read(d);
  if (!bytes) return undefined;
  try {
    const edges = manifestEdges(parseManifest(bytes, mediaType));
    cache.set(key, edges);
    return edges;
  } catch {
    return undefined;
  }
}

/**
 * The subjects that have a referrers folder in this repository (two listings), so the mark lists referrers only
 * for them. Listed after T0 like every other listing of the mark: an entry written later belongs to a revision the
 * rescan sees (collector.ts).
 */
async function subjectsWithReferrers(driver: StorageDriver, repository: string): Promise<Set<string>> {
  const root = referrersRootDir(repository);
  const out = new Set<string>();
  for (const alg of await driver.list(root)) {
    if (!alg.isDirectory) continue;
    for (const entry of await driver.list(`${root}/${alg.name}`)) {
      const d = parseDigest(`${alg.name}:${entry.name}`);
      if (d) out.add(formatDigest(d));
    }
  }
  return out;
}

/** Digests of the manifests that name `subject` as theirs in this repository. */
async function referrersOf(driver: StorageDriver, repository: string, subject: Digest): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await driver.list(referrersDir(repository, subject))) {
    const dash = entry.name.indexOf('-');
    const d = dash > 0 ? parseDigest(`${entry.name.slice(0, dash)}:${entry.name.slice(dash + 1)}`) : undefined;
    if (d) out.push(formatDigest(d));
  }
  return out;
}
