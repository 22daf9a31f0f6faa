/**
 * Upload sessions, kept in storage so that a restart loses none and any process sharing it can continue one. A
 * session is a small `info.json` and the driver's upload writer at `data`; its bytes become a blob only at commit,
 * after their digest is verified.
 *
 * Hashing: while a session's bytes all flow through this process, a running sha256 is kept in memory, so commit
 * needs no second read. When part of the upload came through another process (or the digest is sha512), commit
 * takes the sha256 from the hash state the driver saved with the upload (the S3 driver), else re-hashes what the
 * writer reads back. Nothing is ever held in memory whole.
 *
 * Disk full: a request whose write hits ENOSPC (append, commit, or opening the session) discards its session, so
 * its bytes are freed at once and nothing of it stays visible.
 */
import { randomUUID, type Hash } from 'node:crypto';
import { BoundError, RegistryError } from '../errors.js';
import { formatDigest, newHash, type Digest } from '../oci/digest.js';
import type { BlobStore } from './blobs.js';
import type { StorageDriver, Writer } from './driver.js';
import { isDiskFull } from './health.js';
import { isValidUploadId, uploadDataPath, uploadDir, uploadInfoPath, UPLOADS_DIR } from './paths.js';
import { UPLOAD_LIMITS, UploadSlots, type SessionCaps, type SessionOwner } from './upload-slots.js';
import { readExactly, takesWholeBody, wholeBodyBudget } from './whole-body.js';

interface UploadInfo extends SessionOwner {
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
  /**
   * Bytes the whole session may hold (`limits.uploadMaxBytes`). Refused before reading when the declared length
   * already crosses it, else when the stream does; either way the session is discarded, bytes and slots.
   */
  maxSize?: number;
  /**
   * A repository quota (lifecycle/): the session may hold at most `bytes`; crossing it throws `error(size)` (a
   * BoundError, so the session is discarded), before reading when the declared length already crosses it.
   */
  room?: { bytes: number; error: (size: number) => BoundError };
  /** Runs after the digest is verified and before the blob is committed (the quota); a throw discards the session. */
  admit?: (size: number, digest: Digest) => Promise<void>;
}

export interface AppendResult {
  /** Bytes in the session now. */
  size: number;
  /** Bytes this request appended. */
  appended: number;
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
  readonly #slots: UploadSlots;

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
  ) {
    this.#slots = new UploadSlots(driver);
  }

  /**
   * Opens a session for a repository and returns its id. With `caps`, it first takes a slot in the repository's
   * and the principal's session caps (TOOMANYREQUESTS when either is full; see upload-slots.ts).
   */
  async create(repository: string, principal?: string, caps?: SessionCaps): Promise<string> {
    const id = randomUUID();
    const info: UploadInfo = { repository, ...(principal === undefined ? {} : { principal }), startedAt: Date.now() };
    if (caps) await this.#slots.claim(id, info, caps);
    try {
      await this.driver.put(uploadInfoPath(id), JSON.stringify(info));
      await (await this.driver.writer(uploadDataPath(id), 'create')).close();
    } catch (err) {
      await this.#discard(id, caps ? info : undefined).catch(() => undefined); // e.g. ENOSPC: no half-made session
      throw err;
    }
    this.#hashes.set(id, { offset: 0, hash: newHash('sha256') });
    return id;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN for an unknown session or one of another repository. */
  async size(repository: string, id: string): Promise<number> {
    await this.#info(repository, id);
    return this.#withWriter(id, async (writer) => writer.size);
  }

  /** Appends a chunk at the end of the session; an out-of-order chunk is a 416. */
  async append(repository: string, id: string, body: AsyncIterable<Buffer>, range: ChunkRange = {}): Promise<AppendResult> {
    return this.#exclusive(id, async () => {
      const info = await this.#info(repository, id);
      return this.#withWriter(id, async (writer) => {
        const appended = await this.#appendAt(id, info, writer, body, range);
        return { size: writer.size, appended };
      });
    });
  }

  /**
   * Closes a session: appends the last chunk (if any), verifies the digest of everything received, and commits it
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
      return this.#withWriter(id, async (writer) => {
        const whole = body && this.#wholeBodyFits(writer, digest, range);
        if (whole) {
          try {
            const bytes = await readExactly(body, range.length!, () => undefined);
            const hex = newHash('sha256').update(bytes).digest('hex');
            await this.#place(id, info, writer, digest, hex, bytes.length, range, () => this.blobs.commitBytes(writer, digest, bytes));
            return { size: bytes.length, appended: bytes.length, startedAt: info.startedAt };
          } finally {
            this.#hashes.delete(id);
            whole();
          }
        }
        const appended = body ? await this.#appendAt(id, info, writer, body, range) : 0;
        const size = writer.size;
        const hex = await this.#digest(id, digest, writer);
        await this.#place(id, info, writer, digest, hex, size, range, () => this.blobs.commit(writer, digest));
        return { size, appended, startedAt: info.startedAt };
      });
    });
  }

  /** Whether a commit's body is read whole (see whole-body.ts); the function gives the budget back. */
  #wholeBodyFits(writer: Writer, digest: Digest, range: ChunkRange): (() => void) | undefined {
    const upload = { size: writer.size, takesWhole: writer.commitBytes !== undefined, algorithm: digest.algorithm };
    return takesWholeBody(upload, range) ? wholeBodyBudget.take(range.length!) : undefined;
  }

  /**
   * Verifies a session's digest (`hex`, of `size` bytes), admits it, places the blob (`place`) and links it, then
   * ends the session. A mismatch or a refusal discards the session.
   */
  async #place(
    id: string,
    info: UploadInfo,
    writer: Writer,
    digest: Digest,
    hex: string,
    size: number,
    range: ChunkRange,
    place: () => Promise<void>,
  ): Promise<void> {
    if (hex !== digest.hex) {
      await this.#discard(id, info, writer);
      throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { digest: formatDigest(digest) });
    }
    if (range.admit) {
      try {
        await range.admit(size, digest);
      } catch (err) {
        await this.#discard(id, info, writer);
        throw err;
      }
    }
    try {
      await place();
      await this.blobs.link(info.repository, digest);
    } catch (err) {
      if (isDiskFull(err)) await this.#discardAfterFailure(id, info, writer);
      throw err;
    }
    await this.#discard(id, info);
  }

  async cancel(repository: string, id: string): Promise<void> {
    const info = await this.#info(repository, id);
    await this.#discard(id, info, await this.driver.writer(uploadDataPath(id), 'append'));
  }

  /** Removes sessions untouched for longer than maxAgeMs (and slot markers a crash left); returns how many. */
  async purge(maxAgeMs: number, now = Date.now()): Promise<number> {
    let purged = 0;
    for (const entry of await this.driver.list(UPLOADS_DIR)) {
      if (!isValidUploadId(entry.name) || this.#busy.has(entry.name)) continue;
      // a driver that cannot stat an unfinished upload (an object store) leaves the info file's time
      const data = await this.driver.stat(uploadDataPath(entry.name));
      const info = await this.driver.stat(uploadInfoPath(entry.name));
      const touched = Math.max(data?.mtimeMs ?? 0, info?.mtimeMs ?? 0);
      if (now - touched > maxAgeMs) {
        const raw = await this.driver.get(uploadInfoPath(entry.name));
        const info = raw && (JSON.parse(raw.toString('utf8')) as UploadInfo);
        await this.#discard(entry.name, info, await this.driver.writer(uploadDataPath(entry.name), 'append'));
        purged++;
      }
    }
    await this.#slots.sweep(now);
    return purged;
  }

  /**
   * Drops the running hashes of sessions that are gone from storage (committed, cancelled or purged by another
   * process sharing it), so a process that does not purge does not keep them forever.
   */
  async forgetGone(): Promise<number> {
    let forgotten = 0;
    for (const id of [...this.#hashes.keys()]) {
      if (this.#busy.has(id) || (await this.driver.stat(uploadInfoPath(id)))) continue;
      this.#hashes.delete(id);
      forgotten++;
    }
    return forgotten;
  }

  async #appendAt(id: string, info: UploadInfo, writer: Writer, body: AsyncIterable<Buffer>, range: ChunkRange): Promise<number> {
    try {
      return await this.#appendChunk(id, writer, body, range);
    } catch (err) {
      if (err instanceof BoundError) await this.#discard(id, info, writer);
      else if (isDiskFull(err)) await this.#discardAfterFailure(id, info, writer);
      throw err;
    }
  }

  async #appendChunk(id: string, writer: Writer, body: AsyncIterable<Buffer>, range: ChunkRange): Promise<number> {
    const size = writer.size;
    if (range.start !== undefined && range.start !== size) {
      throw new RegistryError('RANGE_INVALID', `chunk starts at ${range.start}, but the upload has ${size} bytes`, {
        size,
      });
    }
    const max = range.maxSize;
    if (max !== undefined && range.length !== undefined && size + range.length > max) throw tooLarge(max);
    const room = range.room;
    if (room && range.length !== undefined && size + range.length > room.bytes) throw room.error(size + range.length);
    let state = this.#hashes.get(id);
    if (state && state.offset !== size) {
      this.#hashes.delete(id);
      state = undefined;
    }
    let received = 0;
    const written = await writer
      .append(body, (chunk) => {
        received += chunk.length;
        if (max !== undefined && size + received > max) throw tooLarge(max);
        if (room && size + received > room.bytes) throw room.error(size + received);
        if (range.length !== undefined && received > range.length) {
          throw new RegistryError('SIZE_INVALID', 'body longer than Content-Length');
        }
        state?.hash.update(chunk);
      })
      .catch((err: unknown) => {
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

  /**
   * The hex digest of a session's bytes: from the running hash when it is complete, else from the hash state the
   * driver saved with the upload (sha256, on a driver that keeps one), else read back.
   */
  async #digest(id: string, digest: Digest, writer: Writer): Promise<string> {
    const state = this.#hashes.get(id);
    if (digest.algorithm === 'sha256' && state && state.offset === writer.size) {
      this.#hashes.delete(id);
      return state.hash.digest('hex');
    }
    if (digest.algorithm === 'sha256' && writer.sha256) return writer.sha256();
    if (!writer.readBack) throw new Error('the storage driver cannot read an upload back, and no hash state is kept');
    const hash = newHash(digest.algorithm);
    for await (const chunk of await writer.readBack()) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /** Runs `fn` with the session's writer open (BLOB_UPLOAD_UNKNOWN when it has none), then closes it. */
  async #withWriter<T>(id: string, fn: (writer: Writer) => Promise<T>): Promise<T> {
    const writer = await this.driver.writer(uploadDataPath(id), 'append');
    if (!writer) throw unknownUpload(id);
    try {
      return await fn(writer);
    } finally {
      await writer.close();
    }
  }

  async #info(repository: string, id: string): Promise<UploadInfo> {
    if (!isValidUploadId(id)) throw unknownUpload(id);
    const raw = await this.driver.get(uploadInfoPath(id));
    if (!raw) throw unknownUpload(id);
    const info = JSON.parse(raw.toString('utf8')) as UploadInfo;
    if (info.repository !== repository) throw unknownUpload(id);
    return info;
  }

  /** Forgets a session: cancels its upload (when given), deletes what is left of it and frees its slots. */
  async #discard(id: string, info: UploadInfo | undefined, writer?: Writer): Promise<void> {
    this.#hashes.delete(id);
    await writer?.cancel();
    await this.driver.delete(uploadDir(id));
    if (info) await this.#slots.release(id, info);
  }

  /**
   * A session whose write hit a full disk ends there, so its bytes are freed at once (the client starts the upload
   * again, as clients do after a 5xx); best effort, the original error is what the client is told.
   */
  async #discardAfterFailure(id: string, info: UploadInfo, writer: Writer): Promise<void> {
    await writer.cancel().catch(() => undefined);
    await this.#discard(id, info).catch(() => undefined);
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

function tooLarge(max: number): BoundError {
  const message = `blob upload larger than limits.uploadMaxBytes (${max} bytes); the session is discarded`;
  return new BoundError('SIZE_INVALID', 'limits.uploadMaxBytes', UPLOAD_LIMITS.maxBytes, message, 413, { max });
}

function unknownUpload(id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id.slice(0, 64) });
}
