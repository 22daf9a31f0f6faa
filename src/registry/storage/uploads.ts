/**
 * Upload sessions, kept on disk so that a restart loses none and any process sharing the directory can continue
 * one. A session's bytes become a blob only at commit, after their digest is verified.
 *
 * Hashing: while a session's bytes all flow through this process, a running sha256 is kept in memory, so commit
 * needs no second read. When part of the upload came through another process (or the digest is sha512), commit
 * re-hashes the file from disk. Nothing is ever held in memory whole.
 */
import { randomUUID, type Hash } from 'node:crypto';
import { RegistryError } from '../errors.js';
import { formatDigest, newHash, type Digest } from '../oci/digest.js';
import type { BlobStore } from './blobs.js';
import type { FsDriver } from './fs-driver.js';
import { isValidUploadId, uploadDataPath, uploadDir, uploadInfoPath, UPLOADS_DIR } from './paths.js';

interface UploadInfo {
  repository: string;
  startedAt: number;
}

/** The running sha256 of a session whose every byte passed through this process. */
interface HashState {
  offset: number;
  hash: Hash;
}

/** A chunk's declared placement (`Content-Range` start and `Content-Length`), when the client sent them. */
export interface ChunkRange {
  start?: number;
  length?: number;
}

export interface CommitResult {
  size: number;
  /** Bytes the committing request itself appended. */
  appended: number;
  startedAt: number;
}

export class UploadStore {
  readonly #hashes = new Map<string, HashState>();
  readonly #busy = new Set<string>();

  constructor(
    private readonly driver: FsDriver,
    private readonly blobs: BlobStore,
  ) {}

  /** Opens a session for a repository and returns its id. */
  async create(repository: string): Promise<string> {
    const id = randomUUID();
    await this.driver.mkdir(uploadDir(id));
    const info: UploadInfo = { repository, startedAt: Date.now() };
    await this.driver.write(uploadInfoPath(id), JSON.stringify(info));
    await this.driver.write(uploadDataPath(id), '');
    this.#hashes.set(id, { offset: 0, hash: newHash('sha256') });
    return id;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN for an unknown session or one of another repository. */
  async size(repository: string, id: string): Promise<number> {
    await this.#info(repository, id);
    return this.#dataSize(id);
  }

  /** Appends a chunk at the end of the session; an out-of-order chunk is a 416. Returns the new size. */
  async append(repository: string, id: string, body: AsyncIterable<Buffer>, range: ChunkRange = {}): Promise<number> {
    return this.#exclusive(id, async () => {
      const size = await this.size(repository, id);
      return size + (await this.#appendAt(id, size, body, range));
    });
  }

  /**
   * Closes a session: appends the last chunk (if any), verifies the digest of everything received, and moves it
   * into the store linked to the repository. A mismatch discards the session (DIGEST_INVALID).
   */
  async commit(
    repository: string,
    id: string,
    digest: Digest,
    body?: AsyncIterable<Buffer>,
    range: ChunkRange = {},
  ): Promise<CommitResult> {
    return this.#exclusive(id, async () => {
      const info = await this.#info(repository, id);
      const before = await this.#dataSize(id);
      const appended = body ? await this.#appendAt(id, before, body, range) : 0;
      const size = before + appended;
      const actual = await this.#digest(id, digest, size);
      if (actual !== digest.hex) {
        await this.#remove(id);
        throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', {
          digest: formatDigest(digest),
        });
      }
      await this.blobs.commit(uploadDataPath(id), digest);
      await this.blobs.link(repository, digest);
      await this.#remove(id);
      return { size, appended, startedAt: info.startedAt };
    });
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.#info(repository, id);
    await this.#remove(id);
  }

  /** Removes sessions untouched for longer than maxAgeMs; returns how many. */
  async purge(maxAgeMs: number, now = Date.now()): Promise<number> {
    let purged = 0;
    for (const entry of await this.driver.list(UPLOADS_DIR)) {
      if (!isValidUploadId(entry.name) || this.#busy.has(entry.name)) continue;
      const data = await this.driver.stat(uploadDataPath(entry.name));
      const info = await this.driver.stat(uploadInfoPath(entry.name));
      const touched = Math.max(data?.mtimeMs ?? 0, info?.mtimeMs ?? 0);
      if (now - touched > maxAgeMs) {
        await this.#remove(entry.name);
        purged++;
      }
    }
    return purged;
  }

  async #appendAt(id: string, size: number, body: AsyncIterable<Buffer>, range: ChunkRange): Promise<number> {
    if (range.start !== undefined && range.start !== size) {
      throw new RegistryError('RANGE_INVALID', `chunk starts at ${range.start}, but the upload has ${size} bytes`, {
        size,
      });
    }
    let state = this.#hashes.get(id);
    if (state && state.offset !== size) {
      this.#hashes.delete(id);
      state = undefined;
    }
    let received = 0;
    const written = await this.driver.append(uploadDataPath(id), body, (chunk) => {
      received += chunk.length;
      if (range.length !== undefined && received > range.length) {
        throw new RegistryError('SIZE_INVALID', 'body longer than Content-Length');
      }
      state?.hash.update(chunk);
    }).catch((err: unknown) => {
      this.#hashes.delete(id);
      throw err;
    });
    if (range.length !== undefined && written !== range.length) {
      this.#hashes.delete(id);
      throw new RegistryError('SIZE_INVALID', `received ${written} bytes, Content-Length said ${range.length}`);
    }
    if (state) state.offset += written;
    return written;
  }

  /** The hex digest of a session's bytes, from the running hash when it is complete, else from disk. */
  async #digest(id: string, digest: Digest, size: number): Promise<string> {
    const state = this.#hashes.get(id);
    if (digest.algorithm === 'sha256' && state && state.offset === size) {
      this.#hashes.delete(id);
      return state.hash.digest('hex');
    }
    const hash = newHash(digest.algorithm);
    for await (const chunk of this.driver.reader(uploadDataPath(id))) {
      hash.update(chunk as Buffer);
    }
    return hash.digest('hex');
  }

  async #dataSize(id: string): Promise<number> {
    const data = await this.driver.stat(uploadDataPath(id));
    if (!data) throw unknownUpload(id);
    return data.size;
  }

  async #info(repository: string, id: string): Promise<UploadInfo> {
    if (!isValidUploadId(id)) throw unknownUpload(id);
    const raw = await this.driver.read(uploadInfoPath(id));
    if (!raw) throw unknownUpload(id);
    const info = JSON.parse(raw.toString('utf8')) as UploadInfo;
    if (info.repository !== repository) throw unknownUpload(id);
    return info;
  }

  async #remove(id: string): Promise<void> {
    this.#hashes.delete(id);
    await this.driver.deleteTree(uploadDir(id));
  }

  async #exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (this.#busy.has(id)) {
      throw new RegistryError('RANGE_INVALID', 'another request is writing to this upload', undefined, 416);
    }
    this.#busy.add(id);
    try {
      return await fn();
    } finally {
      this.#busy.delete(id);
    }
  }
}

function unknownUpload(id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id.slice(0, 64) });
}
