/**
 * Object times in the S3 driver, as garbage collection needs them (gc/collector.ts): all read off the S3 server's
 * clock, to the second (Last-Modified), like the lease that gives a collection its start.
 *
 * - An object's mtime is its `berth-mtime` metadata when it has one, else its Last-Modified. A move is a copy then a
 *   delete, and a copy's Last-Modified is the time of the copy, so `moveKeepingTime` writes the source's mtime
 *   into the copy's metadata.
 * - A commit to a key where the blob already is (the same bytes: keys are content-addressed) must still make its
 *   mtime the time of the commit: `placeFresh` copies the object onto itself with a new `berth-mtime` (`touch`).
 * - A move is not atomic: a commit landing between its copy and its delete would be deleted with the source. So a
 *   commit that finds the object there first writes a marker beside it (`<key>.committed`), then touches it with
 *   the marker's Last-Modified as its mtime (or writes it again when it is gone); a move first deletes the source, then reads the marker. Of two such sequences
 *   at least one sees the other (S3 is strongly consistent): either the move finds a marker at least as new as
 *   what it moved and puts the object back at its key, fresh, or the commit finds the key empty and writes it again.
 */
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound, retryVanishedFolder } from './s3-client.js';
import { copyReplacing, touch } from './s3-copy.js';

export const MTIME_METADATA = 'berth-mtime';
/** Last-Modified is whole seconds. */
export const S3_MTIME_RESOLUTION_MS = 1000;
/** How often a commit retries when its object keeps disappearing under it (a collection per attempt). */
const PLACE_ATTEMPTS = 8;

export const committedKey = (key: string): string => `${key}.committed`;

/** What a HEAD says of an object, with its mtime. */
export interface ObjectHead {
  size: number;
  mtimeMs: number;
}

/** The mtime of a HEAD's answer: the kept time in the metadata, else Last-Modified. */
export function objectTime(out: Pick<HeadObjectCommandOutput, 'LastModified' | 'Metadata'>): number {
  const kept = Number(out.Metadata?.[MTIME_METADATA]);
  return Number.isFinite(kept) && kept > 0 ? kept : (out.LastModified?.getTime() ?? 0);
}

/** HEAD of an object: its size and mtime; undefined when absent. */
export async function headObject(s3: S3Client, bucket: string, key: string): Promise<ObjectHead | undefined> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: out.ContentLength ?? 0, mtimeMs: objectTime(out) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Moves `src` (as `head` saw it) to `dst` keeping its mtime. When a commit of `src` raced the move (its marker is
 * at least as new as the moved object), the object goes back to `src` with a fresh time and leaves `dst`: the
 * commit came last.
 */
export async function moveKeepingTime(s3: S3Client, bucket: string, src: string, dst: string, head: ObjectHead): Promise<void> {
  await copyReplacing(s3, bucket, src, dst, head.size, { [MTIME_METADATA]: String(head.mtimeMs) });
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: src }));
  const marker = await headObject(s3, bucket, committedKey(src));
  if (!marker) return;
  if (marker.mtimeMs >= head.mtimeMs) {
    await copyReplacing(s3, bucket, dst, src, head.size);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: dst }));
  }
  // done with: a commit writing it again from now on sees the source gone and writes the object again itself
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: committedKey(src) }));
}

/**
 * Makes the object at `key` there and fresh: `place` writes it unless something is there (true: it wrote); when
 * something is, the marker goes first, then the touch; a touch that finds the key empty places it again.
 */
export async function placeFresh(s3: S3Client, bucket: string, key: string, place: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt++) {
    if (await place()) return;
    await retryVanishedFolder(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: committedKey(key), Body: '', ContentLength: 0 })));
    // the marker's Last-Modified is the commit's time on the server's clock: the blob's new mtime
    const now = (await headObject(s3, bucket, committedKey(key)))?.mtimeMs;
    if (now === undefined) continue; // a move just took the marker: try again
    if (await touch(s3, bucket, key, { [MTIME_METADATA]: String(now) })) return;
  }
  throw new Error(`${key} kept disappearing while it was committed (${PLACE_ATTEMPTS} attempts)`);
}
