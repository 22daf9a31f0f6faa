/**
 * Server-side copies in a bucket. `placeOnce` puts an object at a content-addressed key with a conditional write
 * (`If-None-Match: *` on CompleteMultipartUpload), so concurrent commits of one digest are safe: the first wins and
 * the others find it there. `copy` replaces (a move of a small file).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { copySource, writeOnce } from './s3-client.js';

/** Bytes a single CopyObject or UploadPartCopy may copy (5 GiB). */
const MAX_COPY = 5 * 1024 ** 3;
/** The range each UploadPartCopy copies. */
const COPY_PART = 1024 ** 3;

/**
 * Copies `from` (of `size` bytes) to `to` unless an object is already at `to`; resolves either way. The copy is a
 * multipart upload of server-side part copies, completed with `If-None-Match: *`.
 */
export async function placeOnce(s3: S3Client, bucket: string, from: string, to: string, size: number): Promise<void> {
  await writeOnce(() => partCopy(s3, bucket, from, to, size, true));
}

/** Copies `from` to `to`, replacing what is there (one request up to 5 GiB; larger: part copies). */
export async function copyReplacing(s3: S3Client, bucket: string, from: string, to: string, size: number): Promise<void> {
  if (size > MAX_COPY) return partCopy(s3, bucket, from, to, size, false);
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: copySource(bucket, from) }));
}

/** A multipart upload at `to` of part copies of `from`, completed (conditionally: only where nothing is). */
async function partCopy(s3: S3Client, bucket: string, from: string, to: string, size: number, once: boolean): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: to }));
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
