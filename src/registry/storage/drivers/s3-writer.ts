/**
 * The writer of one S3 upload: a multipart upload plus its state object (s3-upload-state.ts). Appends stream into
 * parts of `partSize` bytes (two part buffers at most, one filling while the other uploads: s3-parts.ts); the
 * tail below a part is saved as its own small object, so what an append acknowledged is in the bucket. The SHA-256 of the bytes is kept as saved hash
 * state, so any process can continue the upload and verify its digest without reading it back.
 *
 * Commit: a blob that never filled a part is written whole with one conditional PutObject; a larger one completes
 * its multipart upload at the upload key (as `readBack` does, for a digest other than SHA-256: the only time an
 * upload is read) and is copied server-side to the target with a conditional write
 * ({@link placeOnce}). Either way an object already at the target (the same content: targets are
 * content-addressed) is kept, and touched so that its mtime is the commit's ({@link placeFresh}). `commitBytes`
 * (a small blob the caller received whole and verified, to an upload with no bytes) is that same conditional
 * PutObject, with the bytes given instead of a tail object.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createSHA256, type IHasher } from 'hash-wasm';
import type { Writer } from '../driver.js';
import { isNotFound, isPreconditionFailed, writeOnce } from './s3-client.js';
import { placeOnce } from './s3-copy.js';
import { PartGatherer } from './s3-parts.js';
import { placeFresh } from './s3-times.js';
import { deleteKeys, stateKey, tailKey, writeState, type StoredState, type UploadPart, type UploadState } from './s3-upload-state.js';

/** Where a writer lives: the client, bucket, upload key and part size. */
export interface S3UploadPlace {
  s3: S3Client;
  bucket: string;
  key: string;
  partSize: number;
}

export class S3Writer implements Writer {
  #stored: StoredState;
  #done = false;

  constructor(
    private readonly at: S3UploadPlace,
    stored: StoredState,
    /** The object key of a driver path (commit targets). */
    private readonly keyOf: (path: string) => string,
  ) {
    this.#stored = stored;
  }

  get size(): number {
    return this.#stored.state.size;
  }

  async append(body: AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): Promise<number> {
    this.#live();
    const before = this.#stored.state;
    if (before.completed) throw new Error(`upload ${this.at.key} was finished to be read back: only commit or cancel remain`);
    const hasher = await this.#hasher(before);
    const state: UploadState = { ...before, parts: [...before.parts] };
    const parts = new PartGatherer(this.at.partSize, (part) => this.#uploadPart(state, part), await this.#tailBytes(before));
    let written = 0;
    let tail: Buffer;
    try {
      for await (const chunk of body) {
        onChunk?.(chunk);
        hasher.update(chunk);
        written += chunk.length;
        await parts.write(chunk);
      }
      tail = await parts.finish();
    } catch (err) {
      await parts.abandon();
      throw err;
    }
    state.tail = { seq: before.tail.seq + 1, size: tail.length };
    if (tail.length > 0) await this.#put(tailKey(this.at.key, state.tail.seq), tail);
    state.size = before.size + written;
    state.sha256 = Buffer.from(hasher.save()).toString('base64');
    await this.#saveState(state);
    if (before.tail.size > 0) await this.#deleteKey(tailKey(this.at.key, before.tail.seq));
    return written;
  }

  async commit(to: string): Promise<void> {
    this.#live();
    const target = this.keyOf(to);
    const { state } = this.#stored;
    const { s3, bucket } = this.at;
    if (state.parts.length === 0) {
      await this.#putOnce(target, await this.#tailBytes(state));
    } else {
      await this.#complete();
      await placeFresh(s3, bucket, target, () => placeOnce(s3, bucket, this.at.key, target, state.size));
    }
    await this.#discard(this.#stored.state);
  }

  /** Commits bytes received whole to an empty upload: one conditional PutObject at the target, then the state goes. */
  async commitBytes(to: string, bytes: Buffer): Promise<void> {
    this.#live();
    const { state } = this.#stored;
    if (state.size !== 0) throw new Error(`upload ${this.at.key} has ${state.size} bytes: it cannot be committed whole`);
    await this.#putOnce(this.keyOf(to), bytes);
    await this.#discard(state);
  }

  /** Writes `bytes` at `target` unless an object is there, which is then made fresh ({@link placeFresh}). */
  async #putOnce(target: string, bytes: Buffer): Promise<void> {
    const { s3, bucket } = this.at;
    const put = { Bucket: bucket, Key: target, Body: bytes, ContentLength: bytes.length, IfNoneMatch: '*' };
    await placeFresh(s3, bucket, target, () => writeOnce(() => s3.send(new PutObjectCommand(put))));
  }

  /**
   * Reads the upload back (a digest other than the saved SHA-256). An upload of several parts is completed at its
   * own key first, as S3 cannot read an unfinished one: after that only commit or cancel remain.
   */
  async readBack(): Promise<Readable> {
    this.#live();
    const { state } = this.#stored;
    if (state.parts.length === 0) return Readable.from([await this.#tailBytes(state)]);
    await this.#complete();
    const out = await this.at.s3.send(new GetObjectCommand({ Bucket: this.at.bucket, Key: this.at.key }));
    return out.Body as Readable;
  }

  async cancel(): Promise<void> {
    this.#live();
    await this.#discard(this.#stored.state);
  }

  async close(): Promise<void> {
    this.#done = true;
  }

  /** The hex SHA-256 of every byte appended so far, from the saved hash state. */
  async sha256(): Promise<string> {
    this.#live();
    return (await this.#hasher(this.#stored.state)).digest('hex');
  }

  /** Completes the multipart upload at the upload key (with the tail as its last part), once. */
  async #complete(): Promise<void> {
    const { state } = this.#stored;
    if (state.completed) return;
    const parts = [...state.parts];
    const tail = await this.#tailBytes(state);
    if (tail.length > 0) parts.push(await this.#part(state.uploadId!, parts.length + 1, tail));
    await this.at.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.at.bucket,
        Key: this.at.key,
        UploadId: state.uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
      }),
    );
    await this.#saveState({ ...state, completed: true });
  }

  async #hasher(state: UploadState): Promise<IHasher> {
    const hasher = await createSHA256();
    hasher.init();
    if (state.sha256 !== '') hasher.load(Buffer.from(state.sha256, 'base64'));
    return hasher;
  }

  async #tailBytes(state: UploadState): Promise<Buffer> {
    if (state.tail.size === 0) return Buffer.alloc(0);
    const out = await this.at.s3.send(new GetObjectCommand({ Bucket: this.at.bucket, Key: tailKey(this.at.key, state.tail.seq) }));
    const bytes = Buffer.from(await out.Body!.transformToByteArray());
    if (bytes.length !== state.tail.size) throw new Error(`upload ${this.at.key}: its tail object has ${bytes.length} bytes, not ${state.tail.size}`);
    return bytes;
  }

  /** Uploads one full part (creating the multipart upload, and saving its id, on the first). */
  async #uploadPart(state: UploadState, bytes: Buffer): Promise<void> {
    if (!state.uploadId) {
      const out = await this.at.s3.send(new CreateMultipartUploadCommand({ Bucket: this.at.bucket, Key: this.at.key }));
      state.uploadId = out.UploadId!;
      // saved at once, so the upload can be found (and aborted) whatever happens next
      await this.#saveState({ ...this.#stored.state, uploadId: state.uploadId });
    }
    state.parts.push(await this.#part(state.uploadId, state.parts.length + 1, bytes));
  }

  async #part(uploadId: string, n: number, bytes: Buffer): Promise<UploadPart> {
    const out = await this.at.s3.send(
      new UploadPartCommand({ Bucket: this.at.bucket, Key: this.at.key, UploadId: uploadId, PartNumber: n, Body: bytes, ContentLength: bytes.length }),
    );
    return { n, etag: out.ETag ?? '', size: bytes.length };
  }

  async #put(key: string, bytes: Buffer): Promise<void> {
    await this.at.s3.send(new PutObjectCommand({ Bucket: this.at.bucket, Key: key, Body: bytes, ContentLength: bytes.length }));
  }

  async #saveState(state: UploadState): Promise<void> {
    try {
      const etag = await writeState(this.at.s3, this.at.bucket, this.at.key, state, this.#stored.etag);
      this.#stored = { state, etag };
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      throw new Error(`upload ${this.at.key} was changed by another writer`, { cause: err });
    }
  }

  async #deleteKey(key: string): Promise<void> {
    await this.at.s3.send(new DeleteObjectCommand({ Bucket: this.at.bucket, Key: key })).catch(() => undefined);
  }

  /** Ends the upload: aborts its multipart upload (when given) and deletes its objects. */
  async #discard(state: UploadState): Promise<void> {
    if (state.uploadId && !state.completed) {
      await this.at.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.at.bucket, Key: this.at.key, UploadId: state.uploadId }))
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
    const keys = [stateKey(this.at.key), this.at.key];
    if (state.tail.size > 0) keys.push(tailKey(this.at.key, state.tail.seq));
    await deleteKeys(this.at.s3, this.at.bucket, keys);
    this.#done = true;
  }

  #live(): void {
    if (this.#done) throw new Error('the upload writer is closed');
  }
}
