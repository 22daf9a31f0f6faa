/**
 * The filesystem driver's upload writer: the bytes of an upload are one file at the writer's path, appended and
 * fsynced before an append resolves; commit renames that file to its final path and fsyncs the folder, so the
 * content appears there whole, in one step, and survives a crash.
 */
import { createReadStream } from 'node:fs';
import { constants, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Writer, WriterMode } from '../driver.js';
import { isNotFound, syncDir, writeAll } from './fs-io.js';

/** Open flags for appending to a file that must exist (`'a'` would create it). */
const APPEND_EXISTING = constants.O_WRONLY | constants.O_APPEND;
/** Appends are written in batches of about this many bytes. */
const APPEND_BATCH = 1024 * 1024;

export class FsWriter implements Writer {
  #fh: FileHandle | undefined;
  #size: number;

  private constructor(
    private readonly file: string,
    fh: FileHandle,
    size: number,
    private readonly resolveTarget: (path: string) => string,
  ) {
    this.#fh = fh;
    this.#size = size;
  }

  /** Opens the upload file `file` (absolute); `resolveTarget` maps a store path to an absolute one. */
  static async open(file: string, mode: WriterMode, resolveTarget: (path: string) => string): Promise<FsWriter | undefined> {
    if (mode === 'create') {
      await mkdir(dirname(file), { recursive: true });
      const fh = await open(file, 'w');
      try {
        await syncDir(dirname(file)); // an empty file has no data to fsync; its folder entry does
      } catch (err) {
        await fh.close();
        throw err;
      }
      return new FsWriter(file, fh, 0, resolveTarget);
    }
    let fh: FileHandle;
    try {
      fh = await open(file, APPEND_EXISTING);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const { size } = await fh.stat();
    return new FsWriter(file, fh, size, resolveTarget);
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Chunks are gathered into writes of about 1 MiB, with one write in flight while the next is gathered (per-chunk
   * writes of ~32 KiB spent a fifth of a push's CPU handing work to the thread pool). On any failure the file is
   * truncated back to its old length, so a failed append leaves nothing behind.
   */
  async append(body: AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): Promise<number> {
    const fh = this.#open();
    const before = this.#size;
    let written = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let inflight: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      await inflight;
      const buffers = batch;
      batch = [];
      batchBytes = 0;
      inflight = writeAll(fh, buffers);
      inflight.catch(() => undefined); // awaited on the next flush or at the end
    };
    try {
      for await (const chunk of body) {
        onChunk?.(chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        written += chunk.length;
        if (batchBytes >= APPEND_BATCH) await flush();
      }
      await flush();
      await inflight;
      await fh.sync();
    } catch (err) {
      await inflight.catch(() => undefined);
      await fh.truncate(before).catch(() => undefined);
      throw err;
    }
    this.#size = before + written;
    return written;
  }

  async commit(to: string): Promise<void> {
    const fh = this.#open();
    const now = new Date();
    await fh.utimes(now, now); // the blob's mtime is its commit time (the GC grace period counts from it)
    const target = this.resolveTarget(to);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.file, target);
    await this.close();
    await syncDir(dirname(target));
  }

  async cancel(): Promise<void> {
    this.#open();
    await this.close();
    await rm(this.file, { force: true });
    await syncDir(dirname(this.file)).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }

  async readBack(): Promise<Readable> {
    this.#open();
    return createReadStream(this.file, { highWaterMark: 1024 * 1024 });
  }

  #open(): FileHandle {
    if (!this.#fh) throw new Error('the upload writer is closed');
    return this.#fh;
  }
}
