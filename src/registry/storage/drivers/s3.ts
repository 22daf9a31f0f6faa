/**
 * The S3 driver (`storage.driver: s3`): the bytes are objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW,
 * versitygw), under an optional key prefix. Several processes may share one bucket: an upload is a multipart
 * upload plus a state object in the bucket (s3-writer.ts), so any of them can continue it.
 *
 * What differs from a filesystem, within the contract: folders are only key prefixes (a folder is there while a
 * key is below it); a path may be both a file and a folder (S3 does not refuse it, and checking would cost a
 * request per parent on every write); a commit keeps an object already at its target (targets are
 * content-addressed, so it holds the same bytes, and is touched so that its mtime is the commit's); an unfinished
 * upload's bytes are not visible at its path; mtimes are whole seconds of the server's clock, kept across moves
 * in the object's metadata (s3-times.ts).
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from '../../../shared/registry-config.js';
import { normalizePath, type ByteRange, type DirEntry, type PathInfo, type StorageDriver, type Writer, type WriterMode } from '../driver.js';
import { isNotFound, isPreconditionFailed, Keys, notFound, retryVanishedFolder, s3Client, writeOnce } from './s3-client.js';
import { headObject, moveKeepingTime, objectTime, S3_MTIME_RESOLUTION_MS } from './s3-times.js';
import { createState, deleteKeys, emptyState, readState, stateKey, tailKey } from './s3-upload-state.js';
import { sendOverSocket } from './s3-socket-get.js';
import { S3Writer } from './s3-writer.js';

/** How long a range sent over a socket may go without a byte either way. */
const SOCKET_IDLE_MS = 60_000;
/** The lifetime of the presigned URL the driver GETs itself (signed just before the request). */
const SELF_PRESIGN_SECONDS = 300;

export class S3Driver implements StorageDriver {
  readonly name = 's3';
  readonly durable = true;
  readonly mtimeResolutionMs = S3_MTIME_RESOLUTION_MS;
  readonly #keys: Keys;

  constructor(
    private readonly s3: S3Client,
    private readonly config: Pick<S3Config, 'bucket' | 'prefix' | 'partSize' | 'redirect' | 'redirectExpiryMs'> & { endpoint?: string },
    /** The client presigned URLs are made with (its endpoint is the one clients reach); undefined: no redirects. */
    private readonly presigner?: S3Client,
  ) {
    this.#keys = new Keys(config.prefix);
  }

  /** Opens the driver and checks that the bucket answers (an error names the bucket, never the keys). */
  static async open(config: S3Config): Promise<S3Driver> {
    const s3 = await s3Client(config);
    try {
      await s3.send(new HeadBucketCommand({ Bucket: config.bucket }));
    } catch (err) {
      s3.destroy();
      const where = config.endpoint || 'AWS S3';
      throw new Error(`cannot open bucket ${config.bucket} at ${where}: ${(err as Error).name} ${(err as Error).message}`, { cause: err });
    }
    const presigner = !config.redirect ? undefined : config.publicEndpoint === '' ? s3 : await s3Client({ ...config, endpoint: config.publicEndpoint });
    return new S3Driver(s3, config, presigner);
  }

  /** A presigned GET of the object (clients send their Range to it), when redirects are on. */
  async redirect(path: string): Promise<string | undefined> {
    if (!this.presigner) return undefined;
    const command = new GetObjectCommand({ Bucket: this.#bucket, Key: this.#keys.of(normalizePath(path)) });
    return getSignedUrl(this.presigner, command, { expiresIn: Math.max(1, Math.round(this.config.redirectExpiryMs / 1000)) });
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.s3.destroy();
    if (this.presigner !== this.s3) this.presigner?.destroy();
  }

  get #bucket(): string {
    return this.config.bucket;
  }

  async stat(path: string): Promise<PathInfo | undefined> {
    const p = normalizePath(path);
    if (p === '') return { size: 0, mtimeMs: 0, isDirectory: true };
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#keys.of(p) }));
      return { size: out.ContentLength ?? 0, mtimeMs: objectTime(out), isDirectory: false };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const below = await this.s3.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#keys.below(p), MaxKeys: 1 }));
    return (below.KeyCount ?? 0) > 0 ? { size: 0, mtimeMs: 0, isDirectory: true } : undefined;
  }

  async get(path: string): Promise<Buffer | undefined> {
    const body = await this.#object(normalizePath(path));
    return body && Buffer.from(await body.transformToByteArray());
  }

  async put(path: string, data: Uint8Array | string): Promise<void> {
    const body = Buffer.from(data);
    const key = this.#keys.of(this.#filePath(path));
    await retryVanishedFolder(() => this.s3.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: body.length })));
  }

  #filePath(path: string): string {
    const p = normalizePath(path);
    if (p === '') throw new Error('cannot write the storage root');
    return p;
  }

  /** A conditional PutObject (`If-None-Match: *`). */
  async create(path: string, data: Uint8Array | string): Promise<boolean> {
    const body = Buffer.from(data);
    const key = this.#keys.of(this.#filePath(path));
    return writeOnce(() => this.s3.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: body.length, IfNoneMatch: '*' })));
  }

  async getVersioned(path: string): Promise<{ data: Buffer; version: string } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#keys.of(normalizePath(path)) }));
      return { data: Buffer.from(await out.Body!.transformToByteArray()), version: out.ETag ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** A conditional PutObject (`If-Match: version`). */
  async replaceIf(path: string, data: Uint8Array | string, version: string): Promise<string | undefined> {
    const body = Buffer.from(data);
    const key = this.#keys.of(this.#filePath(path));
    try {
      const out = await retryVanishedFolder(() =>
        this.s3.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: body.length, IfMatch: version })),
      );
      return out.ETag ?? '';
    } catch (err) {
      if (isPreconditionFailed(err) || isNotFound(err)) return undefined;
      throw err;
    }
  }

  async reader(path: string, range?: ByteRange): Promise<Readable | undefined> {
    const body = await this.#object(normalizePath(path), range);
    return body as Readable | undefined;
  }

  /**
   * Sends a byte range of an object to `out` and ends it. On an `http://` endpoint the driver GETs its own presigned
   * URL on a socket reading into reused buffers (s3-socket-get.ts); elsewhere, or when that response is not plain
   * Content-Length framing of the range, the SDK's body is piped.
   */
  async sendRange(path: string, range: ByteRange, out: Writable): Promise<void> {
    const p = normalizePath(path);
    if (this.config.endpoint?.startsWith('http://')) {
      const command = new GetObjectCommand({ Bucket: this.#bucket, Key: this.#keys.of(p) });
      const url = new URL(await getSignedUrl(this.s3, command, { expiresIn: SELF_PRESIGN_SECONDS }));
      if (await sendOverSocket(url, range, out, { timeoutMs: SOCKET_IDLE_MS })) return;
    }
    const body = (await this.#object(p, range)) as Readable | undefined;
    if (!body) throw notFound(p);
    await pipeline(body, out);
  }

  writer(path: string, mode: 'create'): Promise<Writer>;
  writer(path: string, mode: WriterMode): Promise<Writer | undefined>;
  async writer(path: string, mode: WriterMode): Promise<Writer | undefined> {
    const key = this.#keys.of(normalizePath(path));
    const place = { s3: this.s3, bucket: this.#bucket, key, partSize: this.config.partSize };
    const keyOf = (p: string): string => this.#keys.of(normalizePath(p));
    if (mode === 'append') {
      const stored = await readState(this.s3, this.#bucket, key);
      return stored && new S3Writer(place, stored, keyOf);
    }
    // a new upload's key is fresh (a random session id): one conditional write, and only a 412 costs a read
    const state = emptyState();
    for (let attempt = 1; ; attempt++) {
      const etag = await createState(this.s3, this.#bucket, key, state);
      if (etag !== undefined) return new S3Writer(place, { state, etag }, keyOf);
      if (attempt === 3) throw new Error(`upload ${key} keeps being created by another writer`);
      const stored = await readState(this.s3, this.#bucket, key);
      if (stored) await new S3Writer(place, stored, keyOf).cancel();
    }
  }

  async list(dir: string): Promise<DirEntry[]> {
    const prefix = this.#keys.below(normalizePath(dir));
    const entries: DirEntry[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const c of out.CommonPrefixes ?? []) entries.push({ name: c.Prefix!.slice(prefix.length, -1), isDirectory: true });
      for (const o of out.Contents ?? []) entries.push({ name: o.Key!.slice(prefix.length), isDirectory: false });
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return entries.filter((e) => e.name !== '');
  }

  async move(from: string, to: string): Promise<void> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    const head = src === '' ? undefined : await headObject(this.s3, this.#bucket, this.#keys.of(src));
    if (!head) throw notFound(src);
    if (src === dst) return;
    await moveKeepingTime(this.s3, this.#bucket, this.#keys.of(src), this.#keys.of(dst), head);
  }

  /**
   * One delimited LIST of the path's own key as a prefix says whether a file is at it (a key equal to it) and
   * whether a folder is (a common prefix `<key>/`); only a folder is then listed below. A file costs a LIST and a
   * delete, not a HEAD besides.
   */
  async delete(path: string): Promise<boolean> {
    const p = normalizePath(path);
    if (p === '') throw new Error('refusing to delete the storage root');
    const key = this.#keys.of(p);
    const { file, folder } = await this.#fileOrFolder(key);
    const keys = file ? [key] : [];
    let token: string | undefined;
    while (folder) {
      const out = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#keys.below(p), ContinuationToken: token }),
      );
      keys.push(...(out.Contents ?? []).map((o) => o.Key!));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      if (!token) break;
    }
    if (keys.length === 0) return false;
    await deleteKeys(this.s3, this.#bucket, keys);
    return true;
  }

  /** Whether an object is at `key`, and whether keys are below `key/` (siblings sharing the prefix are passed over). */
  async #fileOrFolder(key: string): Promise<{ file: boolean; folder: boolean }> {
    const found = { file: false, folder: false };
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: key, Delimiter: '/', ContinuationToken: token }),
      );
      found.file ||= (out.Contents ?? []).some((o) => o.Key === key);
      found.folder ||= (out.CommonPrefixes ?? []).some((c) => c.Prefix === `${key}/`);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /** The body of an object (or a byte range of it); undefined when absent. */
  async #object(p: string, range?: ByteRange): Promise<GetObjectCommandOutput['Body']> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#keys.of(p),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return out.Body;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

/** The keys an upload at `key` keeps beside it (its state and tail objects), for tools that look at a bucket. */
export const uploadSideKeys = { stateKey, tailKey } as const;
