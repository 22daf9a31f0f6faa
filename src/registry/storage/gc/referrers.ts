/** Referrer entries of manifests the collector deletes. */
import { parseDigest, type Digest } from '../../oci/digest.js';
import type { StorageDriver } from '../driver.js';
import { manifestRevisionPath, referrerPath } from '../paths.js';

/** The subject a manifest's bytes name, if any. */
export function subjectOf(bytes: Buffer | undefined): Digest | undefined {
  if (!bytes) return undefined;
  try {
    const json = JSON.parse(bytes.toString('utf8')) as { subject?: { digest?: unknown } };
    return typeof json.subject?.digest === 'string' ? parseDigest(json.subject.digest) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the referrer entry of a deleted manifest, then looks again: a push of the same manifest meanwhile wrote
 * its revision before its entry, so if the revision is back the entry is written back too.
 */
export async function dropReferrerEntry(driver: StorageDriver, repository: string, subject: Digest, d: Digest): Promise<void> {
  const path = referrerPath(repository, subject, d);
  const entry = await driver.get(path);
  if (!entry || !(await driver.delete(path))) return;
  if (await driver.stat(manifestRevisionPath(repository, d))) await driver.put(path, entry);
}
