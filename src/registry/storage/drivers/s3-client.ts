/**
 * The S3 client of the `s3` driver, and the small helpers its parts share: keys under the configured prefix, and
 * telling "not there" and "precondition failed" from other errors. Credentials come from the configured key files,
 * else from the AWS SDK's default provider chain; they are never logged.
 */
import { readFile } from 'node:fs/promises';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../../shared/registry-config.js';

/** Opens a client for the configured bucket (reading the key files, when set, once). */
export async function s3Client(config: S3Config): Promise<S3Client> {
  const keys =
    config.accessKeyIdFile === ''
      ? undefined
      : {
          accessKeyId: (await readFile(config.accessKeyIdFile, 'utf8')).trim(),
          secretAccessKey: (await readFile(config.secretAccessKeyFile, 'utf8')).trim(),
        };
  return new S3Client({
    region: config.region,
    ...(config.endpoint === '' ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.forcePathStyle,
    ...(keys ? { credentials: keys } : {}),
    // checksums only where the API requires them: S3-compatible servers differ in the newer ones, and the
    // registry verifies every blob's digest itself
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Maps driver paths to object keys under a prefix. */
export class Keys {
  constructor(private readonly prefix: string) {}

  /** The key of a normalized path (`''` is the prefix itself). */
  of(path: string): string {
    if (this.prefix === '') return path;
    return path === '' ? this.prefix : `${this.prefix}/${path}`;
  }

  /** The key prefix of everything below a folder (`''` when it is the bucket's root). */
  below(path: string): string {
    const key = this.of(path);
    return key === '' ? '' : `${key}/`;
  }
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Whether an S3 error means the key (or upload) is not there. */
export function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return status(err) === 404 || name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload';
}

/** Whether an S3 error is a failed condition (`If-None-Match`/`If-Match`: 412). */
export function isPreconditionFailed(err: unknown): boolean {
  return status(err) === 412;
}

/**
 * Runs a write of a small object (a buffered body, so it can be sent again), sending it again a few times when the
 * server answers `ExistingObjectIsDirectory` for a key that is no folder. versitygw's posix backend answers that
 * when the folder it just made for the object's parent was removed under it: deleting the last object of a folder
 * removes the folder, so a write into `uploads/_slots/…/` racing the release of that folder's last slot failed a
 * client's POST (seen in the GC-under-load test). A key that really is a folder fails every attempt and the error
 * is thrown. Other errors are thrown at once.
 */
export async function retryVanishedFolder<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if ((err as { name?: string } | undefined)?.name !== 'ExistingObjectIsDirectory' || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt));
    }
  }
}

/**
 * Runs a conditional write that must not overwrite (`If-None-Match: *`): resolves true when it wrote, false when
 * the key was already there (412). A 409 (another conditional write of the key in flight, or versitygw's
 * ExistingObjectIsDirectory: see retryVanishedFolder) is retried a few times, so this resolves only once an object
 * is at the key.
 */
export async function writeOnce(write: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await write();
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      if (status(err) !== 409 || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 20 * 2 ** Math.min(attempt, 5)));
    }
  }
}

/** An error with `code: 'ENOENT'`, as the filesystem driver throws. */
export function notFound(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file: ${path}`), { code: 'ENOENT' });
}

/** `bucket/key` for CopySource, each segment URL-encoded. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
