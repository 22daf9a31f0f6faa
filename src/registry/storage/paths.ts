/**
 * The storage layout, drawn once. Every path in the store comes from the pure functions below; a driver maps paths
 * to its own places (the filesystem driver: files below its root folder).
 *
 * ```
 * <root>/
 *   blobs/<alg>/<hex[0:2]>/<hex>                 content, written once, verified, shared by all repositories
 *   repositories/<name>/                         <name> may contain '/', e.g. repositories/team/app/
 *     _layers/<alg>/<hex>                        link: the blob is part of this repository (empty file)
 *     _manifests/revisions/<alg>/<hex>           link: the manifest is in this repository; content = media type
 *     _manifests/tags/<tag>                      content = the digest the tag points to
 *     _referrers/<alg>/<hex>/<alg>-<hex>         a referrer of subject <alg>:<hex>; content = its descriptor (JSON)
 *   uploads/<id>/data                            the driver's upload writer: bytes received so far for session <id>
 *   uploads/<id>/info.json                       {"repository","principal","startedAt"}
 *   uploads/_slots/repository/<key>/<id>         a session's slot in its repository's cap (empty; key: slotKey)
 *   uploads/_slots/principal/<key>/<id>          its slot in its principal's cap (upload-slots.ts)
 *   tmp/                                         filesystem driver: temp files of atomic writes, then renamed
 *   gc/lock                                      the garbage collector's lease (gc/lock.ts)
 *   gc/trash/<path>                              what a collection condemned, until it restores or deletes it
 *   gc/reserve                                   space set aside so a collection can run on a full disk (gc/reserve.ts)
 *   quarantine/blobs/<alg>/<hex[0:2]>/<hex>      a blob scrub found corrupt: never served, kept for inspection
 *   health/<id>                                  readiness probe of one process: written and deleted (health.ts)
 * ```
 *
 * Name components never start with `_` (the name grammar forbids it), so `_layers`, `_manifests` and
 * `_referrers` can never collide with a nested repository such as `team/app/_x`.
 */
import { join } from 'node:path';
import type { Digest } from '../oci/digest.js';

export const BLOBS_DIR = 'blobs';
export const REPOSITORIES_DIR = 'repositories';
export const UPLOADS_DIR = 'uploads';
export const GC_DIR = 'gc';
export const GC_LOCK_PATH = join(GC_DIR, 'lock');
export const TRASH_DIR = join(GC_DIR, 'trash');
export const RESERVE_PATH = join(GC_DIR, 'reserve');

export const QUARANTINE_DIR = 'quarantine';
export const HEALTH_DIR = 'health';

/** Where scrub moves a corrupt file (same relative path below `quarantine/`); nothing reads from there. */
export function quarantinePath(path: string): string {
  return join(QUARANTINE_DIR, path);
}

/** Where garbage collection keeps a condemned file until it restores or deletes it (same relative path). */
export function trashPath(path: string): string {
  return join(TRASH_DIR, path);
}

/** Directory names inside a repository that mark it as one (and are not nested repositories). */
export const REPOSITORY_MARKERS = ['_layers', '_manifests', '_referrers'] as const;

export function blobPath(d: Digest): string {
  return join(BLOBS_DIR, d.algorithm, d.hex.slice(0, 2), d.hex);
}

export function repositoryPath(name: string): string {
  return join(REPOSITORIES_DIR, ...name.split('/'));
}

export function layerLinkPath(name: string, d: Digest): string {
  return join(repositoryPath(name), '_layers', d.algorithm, d.hex);
}

export function manifestRevisionPath(name: string, d: Digest): string {
  return join(repositoryPath(name), '_manifests', 'revisions', d.algorithm, d.hex);
}

export function tagsDir(name: string): string {
  return join(repositoryPath(name), '_manifests', 'tags');
}

export function tagPath(name: string, tag: string): string {
  return join(tagsDir(name), tag);
}

/** The folder of a repository's referrer entries, one folder per subject below it. */
export function referrersRootDir(name: string): string {
  return join(repositoryPath(name), '_referrers');
}

export function referrersDir(name: string, subject: Digest): string {
  return join(referrersRootDir(name), subject.algorithm, subject.hex);
}

export function referrerPath(name: string, subject: Digest, referrer: Digest): string {
  return join(referrersDir(name, subject), `${referrer.algorithm}-${referrer.hex}`);
}

export function uploadDir(id: string): string {
  return join(UPLOADS_DIR, id);
}

export function uploadDataPath(id: string): string {
  return join(UPLOADS_DIR, id, 'data');
}

export function uploadInfoPath(id: string): string {
  return join(UPLOADS_DIR, id, 'info.json');
}

/** The folders upload sessions hold slots in (upload-slots.ts). */
export const SLOT_KINDS = ['repository', 'principal'] as const;
export type SlotKind = (typeof SLOT_KINDS)[number];

/** `uploads/_slots/<kind>[/<key>]`: every key of a kind, or the slots of one key. */
export function slotsDir(kind: SlotKind, key?: string): string {
  return key === undefined ? join(UPLOADS_DIR, '_slots', kind) : join(UPLOADS_DIR, '_slots', kind, key);
}

export function slotPath(kind: SlotKind, key: string, id: string): string {
  return join(slotsDir(kind, key), id);
}

/** Upload ids are ours (random UUIDs); anything else in a URL is refused before it reaches a path. */
export function isValidUploadId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);
}
