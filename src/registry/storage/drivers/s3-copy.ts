/**
 * Server-side copies in a bucket. `placeOnce` puts an object at a content-addressed key with a conditional write
 * (`If-None-Match: *` on CompleteMultipartUpload), so concurrent commits of one digest are safe: the first wins and
 * the others find it there. `copyReplacing` replaces (a move), with the metadata given (a kept mtime); `touch`
 * copies an object onto itself with a new mtime.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { copySource, isNotFound, writeOnce } from './s3-client.js';

/** Bytes a single CopyObject or UploadPartCopy may copy (5 GiB). */
const MAX_COPY = 5 * 1024 ** 3;
/** The range each UploadPartCopy copies. */
const COPY_PART = 1024 ** 3;

/**
 * Copies `from` (of `size` bytes) to `to` unless an object is already at `to`: true when it copied, false when one
 * was there. The copy is a multipart upload of server-side part copies, completed with `If-None-Match: *`.
 */
export async function placeOnce(s3: S3Client, bucket: string, from: string, to: string, size: number): Promise<boolean> {
  return writeOnce(() => partCopy(s3, bucket, from, to, size, true));
}

/**
 * Copies `from` to `to`, replacing what is there (one request up to 5 GiB; larger: part copies). With `metadata`
 * the copy carries exactly that metadata; without, none (its Last-Modified is then its only time).
 */
export async function copyReplacing(
  s3: S3Client,
  bucket: string,
  from: string,
  to: string,
  size: number,
  metadata: Record<string, string> = {},
): Promise<void> {
  if (size > MAX_COPY) return partCopy(s3, bucket, from, to, size, false, metadata);
  const source = { CopySource: copySource(bucket, from), MetadataDirective: 'REPLACE' as const, Metadata: metadata };
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: to, ...source }));
}

/**
 * Copies an object onto itself with `metadata` (a new mtime: some servers, versitygw among them, keep
 * Last-Modified on a copy onto itself); false when it is not there.
 */
export async function touch(s3: S3Client, bucket: string, key: string, metadata: Record<string, string>): Promise<boolean> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    await copyReplacing(s3, bucket, key, key, head.ContentLength ?? 0, metadata);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** A multipart upload at `to` of part copies of `from`, completed (conditionally: only where nothing is). */
async function partCopy(
  s3: S3Client,
  bucket: string,
  from: string,
  to: string,
  size: number,
  once: boolean,
  metadata: Record<string, string> = {},
): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: to, Metadata: metadata }));
  try {
    const parts: Array<{ PartNumber: number; ETag: string | undefined }> = [];
    for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
      const range = `bytes=${start}-${Math.min(start + COPY_PART, size) - 1}`;
      const source = { CopySource: copySource(bucket, from), CopySourceRange: range };
      const out = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: to, UploadId, PartNumber: n, ...source }));
      parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag });
    }
    const complete = { Bucket: bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } };
    await s3.send(new CompleteMultipartUploadCommand(once ? { ...complete, IfNoneMatch: '*' } : complete));
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId })).catch(() => undefined);
    throw err;
  }
}
