/**
 * Applies the retention rules: for each repository with one, reads its tags and manifests (repo-scan.ts), decides
 * (retention-plan.ts), and unless the rule (or the run) is a dry run deletes the expired tags, then the manifests
 * nothing keeps any more (with their referrer entries). Garbage collection frees the bytes later.
 *
 * Concurrent pushes: a tag is deleted only if it still points at the digest the plan saw with the same push time
 * (a tag pushed again meanwhile stays), and a manifest only while no tag points at it.
 */
import { parseDigest } from '../oci/digest.js';
import type { StorageDriver } from '../storage/driver.js';
import type { Storage } from '../storage/index.js';
import { manifestRevisionPath, referrerPath, tagPath } from '../storage/paths.js';
import { scanRepository, scanTags } from './repo-scan.js';
import { expiredTags, manifestsToDelete } from './retention-plan.js';
import type { RepositoryRules } from './rules.js';

export interface RetentionResult {
  repository: string;
  dryRun: boolean;
  atMs: number;
  tags: string[];
  manifests: string[];
}

export interface RetentionOptions {
  /** Report only, whatever the rules say. */
  dryRun?: boolean;
  now?: number;
}

export async function applyRetention(
  driver: StorageDriver,
  storage: Pick<Storage, 'blobs'>,
  rules: RepositoryRules,
  opts: RetentionOptions = {},
): Promise<RetentionResult> {
  const now = opts.now ?? Date.now();
  const rule = rules.retention!;
  const dryRun = Boolean(opts.dryRun || rule.dryRun);
  const scan = await scanRepository(driver, storage.blobs, rules.repository);
  const expired = expiredTags(scan.tags, rule, now);
  const removed = new Set(expired.map((t) => t.tag));
  const manifests = manifestsToDelete(scan.manifests, scan.tags, removed);
  const result: RetentionResult = { repository: rules.repository, dryRun, atMs: now, tags: expired.map((t) => t.tag), manifests };
  if (dryRun || expired.length === 0) return result;
  const deletedTags: string[] = [];
  for (const t of expired) {
    const path = tagPath(rules.repository, t.tag);
    const [raw, info] = await Promise.all([driver.get(path), driver.stat(path)]);
    if (raw?.toString('utf8').trim() !== t.digest || info?.mtimeMs !== t.pushedAtMs) continue;
    if (await driver.delete(tagPath(rules.repository, t.tag))) deletedTags.push(t.tag);
  }
  const tagged = new Set((await scanTags(driver, rules.repository)).map((t) => t.digest));
  const bySubject = new Map(scan.manifests.map((m) => [m.digest, m.subject]));
  const deletedManifests: string[] = [];
  for (const digest of manifests) {
    if (tagged.has(digest)) continue;
    const d = parseDigest(digest)!;
    if (!(await driver.delete(manifestRevisionPath(rules.repository, d)))) continue;
    const subject = bySubject.get(digest);
    const s = subject && parseDigest(subject);
    if (s) await driver.delete(referrerPath(rules.repository, s, d));
    deletedManifests.push(digest);
  }
  return { ...result, tags: deletedTags, manifests: deletedManifests };
}
