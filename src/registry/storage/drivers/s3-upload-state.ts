/**
 * The state object of an S3 upload, beside its key (`<key>.upload`): which multipart upload holds its parts, the
 * parts so far, the short tail below the part size (its own small object, `<key>.tail.<seq>`, so an acknowledged
 * append survives a crash), and the SHA-256 state of every byte so far (hash-wasm's saved state). It is all any
 * process needs to continue the upload, and it is replaced with `If-Match`, so two writers cannot both advance it.
 */
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound, isPreconditionFailed, retryVanishedFolder } from './s3-client.js';

export interface UploadPart {
  n: number;
  etag: string;
  size: number;
}

export interface UploadState {
  /** The multipart upload at the upload's key; absent until the first full part. */
  uploadId?: string;
  parts: UploadPart[];
  /** The tail object's sequence number and size (0: no tail object). */
  tail: { seq: number; size: number };
  /** Bytes appended so far: the parts and the tail. */
  size: number;
  /** hash-wasm's saved SHA-256 state over those bytes (base64); empty for a new upload. */
  sha256: string;
  /** The multipart upload was completed at the upload key (to be read back): only commit or cancel remain. */
  completed?: boolean;
}

/** A state as read, with the ETag its replacement must match. */
export interface StoredState {
  state: UploadState;
  etag: string;
}

export const stateKey = (key: string): string => `${key}.upload`;
export const tailKey = (key: string, seq: number): string => `${key}.tail.${seq}`;

export function emptyState(): UploadState {
  return { parts: [], tail: { seq: 0, size: 0 }, size: 0, sha256: '' };
}

/** Reads the state of the upload at `key`; undefined when there is none. */
export async function readState(s3: S3Client, bucket: string, key: string): Promise<StoredState | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: stateKey(key) }));
    const text = await out.Body!.transformToString('utf8');
    return { state: JSON.parse(text) as UploadState, etag: out.ETag ?? '' };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Writes the state of the upload at `key` (replacing only the version read, when `etag` is given) and returns
 * its new ETag. A 412 means another writer advanced the upload since.
 */
export async function writeState(s3: S3Client, bucket: string, key: string, state: UploadState, etag?: string): Promise<string> {
  const out = await retryVanishedFolder(() =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: stateKey(key),
        Body: JSON.stringify(state),
        ContentType: 'application/json',
        ...(etag ? { IfMatch: etag } : {}),
      }),
    ),
  );
  return out.ETag ?? '';
}

/**
 * Writes the state of a new upload at `key` only when none is there (`If-None-Match: *`): its ETag, or undefined
 * when a state is there (a 412; the caller cancels that upload and tries again).
 */
export async function createState(s3: S3Client, bucket: string, key: string, state: UploadState): Promise<string | undefined> {
  try {
    const out = await retryVanishedFolder(() =>
      s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: stateKey(key), Body: JSON.stringify(state), ContentType: 'application/json', IfNoneMatch: '*' }),
      ),
    );
    return out.ETag ?? '';
  } catch (err) {
    if (isPreconditionFailed(err)) return undefined;
    throw err;
  }
}

/** Deletes objects by key (missing ones are fine). */
export async function deleteKeys(s3: S3Client, bucket: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
  }
}
