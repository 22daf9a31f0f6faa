/**
 * One page of a subject's referrers with bounded work (issue 9, finding 5): the folder is listed (names only, in
 * digest order), and descriptors are read one at a time from just after `last` until the page is full by count
 * or by bytes. A descriptor's file holds exactly its JSON, so `stat` tells whether it still fits before it is
 * read. At most `n` files are examined a request (with an `artifactType` filter, a page may hold fewer than `n`
 * and still link to the next), so neither memory nor reads grow with the number or size of referrers: memory is
 * the page itself plus one descriptor, and one name per referrer for the listing.
 */
import type { Descriptor } from '../oci/manifest.js';
import type { Digest } from '../oci/digest.js';
import type { StorageDriver } from './driver.js';
import { referrersDir } from './paths.js';

export interface ReferrersQuery {
  /** Only referrers whose digest sorts after this one. */
  last?: string;
  /** Referrers a page at most, and files examined a request at most. */
  n: number;
  /** Bytes of descriptors (JSON, plus one for a separator) a page at most; the first always fits. */
  maxBytes: number;
  artifactType?: string;
}

export interface ReferrersPage {
  manifests: Descriptor[];
  /** The digest to continue after when more may remain, else undefined. */
  next: string | undefined;
  /** Whether the byte bound (not the count) ended the page. */
  cutByBytes: boolean;
}

/** `sha256-abcd…` (a referrer's file name) → `sha256:abcd…`. */
function digestOfEntry(name: string): string {
  const i = name.indexOf('-');
  return `${name.slice(0, i)}:${name.slice(i + 1)}`;
}

/** Byte order, as pagination everywhere else (manifests.ts `byteOrder`). */
const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Reads one page of the referrers of `subject` in `repository` (empty for unknown subjects and repositories). */
export async function readReferrersPage(
  driver: StorageDriver,
  repository: string,
  subject: Digest,
  q: ReferrersQuery,
): Promise<ReferrersPage> {
  const dir = referrersDir(repository, subject);
  const names = (await driver.list(dir))
    .filter((e) => !e.isDirectory && e.name.includes('-'))
    .map((e) => ({ file: `${dir}/${e.name}`, digest: digestOfEntry(e.name) }))
    .filter((e) => q.last === undefined || e.digest > q.last)
    .sort((a, b) => byBytes(a.digest, b.digest));
  const manifests: Descriptor[] = [];
  let bytes = 0;
  let examined = 0;
  let lastExamined: string | undefined;
  for (const entry of names) {
    if (examined >= q.n) return { manifests, next: lastExamined, cutByBytes: false };
    const size = (await driver.stat(entry.file))?.size;
    if (size === undefined) continue;
    if (manifests.length > 0 && bytes + size + 1 > q.maxBytes) return { manifests, next: lastExamined, cutByBytes: true };
    const raw = await driver.get(entry.file);
    examined++;
    lastExamined = entry.digest;
    if (!raw) continue;
    const descriptor = JSON.parse(raw.toString('utf8')) as Descriptor;
    if (q.artifactType !== undefined && descriptor.artifactType !== q.artifactType) continue;
    manifests.push(descriptor);
    bytes += raw.length + 1;
  }
  return { manifests, next: undefined, cutByBytes: false };
}
