/**
 * Online garbage collection: mark and sweep while pushes and pulls go on, in any number of processes sharing the
 * volume.
 *
 * A run: (1) take the lease (lock.ts); its file's mtime is T0, read off the storage's own clock, which also stamps
 * every other mtime below. (2) Move back whatever a killed run left in `gc/trash/` (and remove its half-done lease
 * takeovers). (3) Mark from every repository's roots (mark.ts); every listing it makes is made after T0. The edges
 * of a manifest may come from the runs before (edge-cache.ts): the bytes at a digest never change, so they are what
 * reading them again would give. (4) Condemn: move to `gc/trash/` each revision the policy lets go and each blob
 * that is unmarked and whose mtime is older than T0 − gracePeriod; a moved file whose mtime turns out to be recent
 * (written again just before the move) goes straight back. (5) Rescan: every revision written at or after
 * T0 − gracePeriod is a root (a file's mtime is stamped when its bytes are written, a moment before it appears);
 * what it reaches is moved back. (6) Delete what is left in the trash, then the links to
 * deleted blobs.
 *
 * Why no acknowledged write is lost:
 * - A blob upload is acknowledged after its commit, which stamps the blob's mtime. A blob whose mtime is within the
 *   grace period is never condemned, so the grace period must exceed the time between uploading a layer and pushing
 *   the manifest that references it (default 1 h); an upload still in progress is in `uploads/`, which GC never
 *   touches.
 * - A manifest push is acknowledged only after it wrote its revision and then found (`present`, strictly at their
 *   own paths, rescuing from the trash if need be) every blob and child it references, and its own bytes and
 *   revision (`ManifestStore.#verifyStored`). Take an acknowledged manifest M referencing blob B. If GC moved B to
 *   the trash after M's check, then M's revision was written before that move, so before the rescan: either before
 *   T0, and the mark (which lists every revision after T0) saw it and marked B; or after T0, and the rescan (which
 *   takes every revision with mtime ≥ T0 − gracePeriod) marks B and moves it back before step 6. If GC moved B
 *   before M's check, the check found B at its path only because it was moved back or uploaded again, and step 6
 *   deletes only what is still in the trash. The same holds for M's own bytes and revision, which the check writes
 *   again when missing.
 * - Layer links and referrer entries removed in step 6 are removed first and checked after: a push writes the blob
 *   (or revision) before the link (or entry), so a link written meanwhile is seen and put back.
 * - Reads fall back to `gc/trash/`, so a blob condemned by a run that then crashed is still served, and the next run
 *   restores it in step 2; only one run holds the lease at a time, and it checks it still holds it before every
 *   destructive step.
 *
 * On S3 (drivers/s3-times.ts) the same argument holds with three changes. Mtimes are the server's Last-Modified,
 * whole seconds, and T0 is the lease object's: the run takes T0 one resolution earlier, so a write at or after
 * T0 − gracePeriod never reads as older than the windows above. A move is a copy then a delete, keeping the mtime
 * in the copy's metadata, and not atomic: a commit that finds its blob already stored leaves a marker and then
 * touches the blob (its mtime becomes the commit's), and a move reads the marker after its delete, so either the
 * move puts the blob back (fresh) or the commit writes it again: an acknowledged commit is never left only in the
 * trash. The lease is taken and renewed with conditional writes (`If-None-Match: *`, `If-Match`).
 */
import type { BlobStore } from '../blobs.js';
import type { CatalogStore } from '../catalog.js';
import type { StorageDriver } from '../driver.js';
import { blobPath, GC_DIR, manifestRevisionPath } from '../paths.js';
import { parseDigest } from '../../oci/digest.js';
import { acquireLease, type Lease } from './lock.js';
import { ensureReserve, withReserve } from './reserve.js';
import { markRepository, type Revision } from './mark.js';
import { edgeCache, type EdgeCache } from './edge-cache.js';
import { unpaced, type Pace } from './pace.js';
import { condemn, destroy, restore, storedBlobs, trashed, unlinkDeleted } from './sweep.js';
import { dropReferrerEntry, subjectOf } from './referrers.js';

/** What a run may delete. */
export interface GcPolicy {
  /** Unreferenced blobs younger than this stay (uploads waiting for their manifest). */
  gracePeriodMs: number;
  /** Untagged manifests older than this go (unless reached from a kept one); undefined keeps them all. */
  untaggedMaxAgeMs?: number;
}

export interface GcOptions {
  policy: GcPolicy;
  /** Report what would go; change nothing (and take no lease). */
  dryRun?: boolean;
  leaseTtlMs?: number;
  /** Called now and then on long runs, and once per phase. */
  onProgress?: (p: GcProgress) => void;
  /** Manifest edges parsed by earlier runs (a schedule keeps one across its runs); default: one for this run. */
  edges?: EdgeCache;
  /** Called between steps to rest the run when it shares its process with requests (pace.ts); default: no rests. */
  pace?: Pace;
}

export interface GcProgress {
  phase: 'mark' | 'sweep' | 'rescan' | 'delete';
  repositories: number;
  manifests: number;
  blobs: number;
}

/** One item a run deleted (or would delete). */
export interface GcItem {
  kind: 'blob' | 'manifest';
  digest: string;
  repository?: string;
  size: number;
}

export interface GcReport {
  dryRun: boolean;
  /** False when another collector held the lease (nothing was done). */
  ran: boolean;
  startedAt: number;
  durationMs: number;
  repositories: number;
  manifestsKept: number;
  blobsDeleted: number;
  bytesFreed: number;
  manifestsDeleted: number;
  linksDeleted: number;
  /** Kept manifests whose bytes are missing or unreadable. */
  broken: string[];
  deleted: GcItem[];
}

export const DEFAULT_LEASE_TTL_MS = 60_000;

interface Stores {
  driver: StorageDriver;
  blobs: BlobStore;
  catalog: CatalogStore;
}

/** Runs one collection. */
export async function collectGarbage(stores: Stores, opts: GcOptions): Promise<GcReport> {
  const started = Date.now();
  const report = emptyReport(Boolean(opts.dryRun), started);
  let lease: Lease | undefined;
  if (!opts.dryRun) {
    // on a full disk the lease cannot be written: the space reserve makes room (reserve.ts)
    lease = await withReserve(stores.driver, () => acquireLease(stores.driver, opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS));
    if (!lease) return { ...report, ran: false };
  }
  try {
    // mtimes read to the second (S3) may be up to a resolution late: the run counts from that much earlier
    const t0 = (lease?.startedAtMs ?? started) - (stores.driver.mtimeResolutionMs ?? 0);
    if (lease) await recover(stores.driver);
    await sweepRun(stores, opts, report, t0, lease);
  } finally {
    await lease?.release();
  }
  if (lease) await ensureReserve(stores.driver).catch(() => false);
  report.durationMs = Date.now() - started;
  return report;
}

/** Step 2: what a killed run left behind: condemned files go back, and leases it was taking over are removed. */
async function recover(driver: StorageDriver): Promise<void> {
  for (const path of await trashed(driver)) await restore(driver, path);
  for (const e of await driver.list(GC_DIR)) if (e.name.startsWith('stale-')) await driver.delete(`${GC_DIR}/${e.name}`);
}

async function sweepRun(stores: Stores, opts: GcOptions, report: GcReport, t0: number, lease?: Lease): Promise<void> {
  const { driver } = stores;
  const progress = throttle(opts.onProgress);
  const repos = await stores.catalog.repositories();
  const untaggedBeforeMs = opts.policy.untaggedMaxAgeMs === undefined ? undefined : t0 - opts.policy.untaggedMaxAgeMs;
  const edges = opts.edges ?? edgeCache();
  const pace = opts.pace ?? unpaced;
  const reachable = new Set<string>();
  const unkept: Array<Revision & { repository: string }> = [];
  for (const repository of repos) {
    const mark = await markRepository(driver, stores.blobs, repository, { untaggedBeforeMs, edges, pace });
    for (const d of mark.reachable) reachable.add(d);
    unkept.push(...mark.unkept.map((r) => ({ ...r, repository })));
    report.repositories++;
    report.manifestsKept += mark.manifests;
    report.broken.push(...mark.broken.map((d) => `${repository}@${d}`));
    progress({ phase: 'mark', repositories: report.repositories, manifests: report.manifestsKept, blobs: 0 });
  }
  const candidates = await oldUnmarkedBlobs(driver, reachable, t0 - opts.policy.gracePeriodMs, progress, pace);
  if (opts.dryRun || !lease) {
    for (const r of unkept) report.deleted.push({ kind: 'manifest', digest: r.digest, repository: r.repository, size: 0 });
    for (const [digest, size] of candidates) report.deleted.push({ kind: 'blob', digest, size });
    tally(report);
    return;
  }
  await lease.check();
  const revisions = await condemnRevisions(driver, unkept, untaggedBeforeMs ?? t0);
  const blobs: string[] = [];
  for (const digest of candidates.keys()) {
    await pace();
    if ((await condemn(driver, blobPath(parseDigest(digest)!), t0 - opts.policy.gracePeriodMs)) === 'condemned') blobs.push(digest);
  }
  progress({ phase: 'rescan', repositories: repos.length, manifests: report.manifestsKept, blobs: blobs.length }, true);
  const revived = new Set<string>();
  for (const repository of await stores.catalog.repositories()) {
    const since = { sinceMs: t0 - opts.policy.gracePeriodMs, edges, pace };
    for (const d of (await markRepository(driver, stores.blobs, repository, since)).reachable) revived.add(d);
  }
  await lease.check();
  await finish(stores, report, { revisions, blobs, revived, repos }, pace);
}

interface Condemned {
  revisions: Array<Revision & { repository: string }>;
  blobs: string[];
  revived: Set<string>;
  repos: string[];
}

/** Step 6: restores what the rescan reached, deletes the rest, then the links to what was deleted. */
async function finish(stores: Stores, report: GcReport, c: Condemned, pace: Pace): Promise<void> {
  const { driver } = stores;
  for (const r of c.revisions) {
    const d = parseDigest(r.digest)!;
    const path = manifestRevisionPath(r.repository, d);
    if (c.revived.has(r.digest)) {
      await restore(driver, path);
      continue;
    }
    const subject = subjectOf(await stores.blobs.read(d));
    if ((await destroy(driver, path)) === undefined) continue;
    if (subject) await dropReferrerEntry(driver, r.repository, subject, d);
    report.deleted.push({ kind: 'manifest', digest: r.digest, repository: r.repository, size: 0 });
  }
  const gone = new Set<string>();
  for (const digest of c.blobs) {
    await pace();
    const path = blobPath(parseDigest(digest)!);
    if (c.revived.has(digest)) {
      await restore(driver, path);
      continue;
    }
    const size = await destroy(driver, path);
    if (size === undefined) continue;
    gone.add(digest);
    report.deleted.push({ kind: 'blob', digest, size });
  }
  // no blob deleted: no link can point to one, and the listing of every repository's links is skipped
  if (gone.size > 0) for (const repository of c.repos) report.linksDeleted += await unlinkDeleted(driver, repository, gone);
  tally(report);
}

async function condemnRevisions(
  driver: StorageDriver,
  unkept: Array<Revision & { repository: string }>,
  freshSinceMs: number,
): Promise<Array<Revision & { repository: string }>> {
  const out: Array<Revision & { repository: string }> = [];
  for (const r of unkept) {
    const path = manifestRevisionPath(r.repository, parseDigest(r.digest)!);
    if ((await condemn(driver, path, freshSinceMs)) === 'condemned') out.push(r);
  }
  return out;
}

/** Unmarked blobs older than `beforeMs`, with their sizes. */
async function oldUnmarkedBlobs(
  driver: StorageDriver,
  reachable: Set<string>,
  beforeMs: number,
  progress: (p: GcProgress) => void,
  pace: Pace,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let seen = 0;
  for await (const blob of storedBlobs(driver)) {
    await pace();
    seen++;
    progress({ phase: 'sweep', repositories: 0, manifests: reachable.size, blobs: seen });
    if (reachable.has(blob.digest)) continue;
    const info = await driver.stat(blob.path);
    if (info && info.mtimeMs < beforeMs) out.set(blob.digest, info.size);
  }
  return out;
}

function tally(report: GcReport): void {
  const blobs = report.deleted.filter((i) => i.kind === 'blob');
  report.blobsDeleted = blobs.length;
  report.bytesFreed = blobs.reduce((n, i) => n + i.size, 0);
  report.manifestsDeleted = report.deleted.length - blobs.length;
}

function emptyReport(dryRun: boolean, startedAt: number): GcReport {
  return {
    dryRun, ran: true, startedAt, durationMs: 0, repositories: 0, manifestsKept: 0, blobsDeleted: 0, bytesFreed: 0,
    manifestsDeleted: 0, linksDeleted: 0, broken: [], deleted: [],
  };
}

/** Passes progress on at most every 2 s (and always when `force`). */
function throttle(fn: GcOptions['onProgress']): (p: GcProgress, force?: boolean) => void {
  let last = 0;
  return (p, force = false) => {
    const now = Date.now();
    if (!fn || (!force && now - last < 2000)) return;
    last = now;
    fn(p);
  };
}
