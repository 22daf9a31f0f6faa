/**
 * The filesystem driver: bytes at paths relative to a root, nothing more. OCI meaning lives one layer up.
 *
 * Durability: whole-file writes go to a temp file in the same filesystem, are fsynced, renamed into place, and the
 * directory is fsynced; appends are fsynced before they return. So content becomes visible only whole, and what
 * a caller was told is written survives a crash.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { readFile } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { copyRange } from './copy-range.js';
import { TMP_DIR } from './paths.js';

export interface FileInfo {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

/** Appends are written in batches of about this many bytes. */
const APPEND_BATCH = 1024 * 1024;

/** Writes every byte of `buffers` (at the end: the file is open for appending), however the OS splits it. */
async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) {
      bytesWritten -= rest[0]!.length;
      rest = rest.slice(1);
    }
    if (rest.length > 0 && bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class FsDriver {
  constructor(readonly root: string) {}

  /** The absolute path of a store path (for sendfile-style reads and diagnostics). */
  abs(path: string): string {
    return join(this.root, path);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    try {
      const s = await stat(this.abs(path));
      return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Reads a small file whole; undefined when absent. (Callback `readFile`: one thread-pool round trip instead of
   * the four of `fs/promises`, which served manifests at about 2/3 the rate.)
   */
  read(path: string): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      readFile(this.abs(path), (err, data) => {
        if (!err) resolve(data);
        else if (isNotFound(err)) resolve(undefined);
        else reject(err);
      });
    });
  }

  /** Streams a byte range (inclusive end) of a file. */
  reader(path: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.abs(path), { ...range, highWaterMark: 1024 * 1024 });
  }

  /** Writes a byte range (inclusive end) of a file to `out` and ends it (see copy-range.ts). */
  copyTo(path: string, range: { start: number; end: number }, out: Writable): Promise<void> {
    return copyRange(this.abs(path), range.start, range.end, out);
  }

  /** Writes a whole file atomically and durably (temp file, fsync, rename, fsync of the directory). */
  async write(path: string, data: Uint8Array | string): Promise<void> {
    const tmp = await this.tempPath();
    const fh = await open(this.abs(tmp), 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.move(tmp, path);
  }

  /**
   * Appends a stream to a file (created if absent) and fsyncs it. `onChunk` sees every chunk before it is
   * written and may throw to stop. Chunks are gathered into writes of about 1 MiB, with one write in flight while
   * the next is gathered (per-chunk writes of ~32 KiB spent a fifth of a push's CPU handing work to the thread
   * pool). On any failure the file is truncated back to its old length, so a failed append leaves nothing behind.
   * Returns the number of bytes appended.
   */
  async append(path: string, body: AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): Promise<number> {
    const fh = await open(this.abs(path), 'a');
    const before = (await fh.stat()).size;
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
      return written;
    } catch (err) {
      await inflight.catch(() => undefined);
      await fh.truncate(before).catch(() => undefined);
      throw err;
    } finally {
      await fh.close();
    }
  }

  /** Creates an empty file if absent (links), durably: its folder is fsynced. */
  async touch(path: string): Promise<void> {
    const dir = dirname(this.abs(path));
    await mkdir(dir, { recursive: true });
    const fh = await open(this.abs(path), 'a');
    await fh.close();
    await this.syncDir(dir);
  }

  /** Renames within the store (atomic), creating the target's folder, then fsyncs that folder. */
  async move(from: string, to: string): Promise<void> {
    const target = this.abs(to);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.abs(from), target);
    await this.syncDir(dirname(target));
  }

  async list(dir: string): Promise<DirEntry[]> {
    try {
      const entries = await readdir(this.abs(dir), { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  /** Deletes a file durably (its folder is fsynced); false when it was not there. */
  async delete(path: string): Promise<boolean> {
    try {
      await unlink(this.abs(path));
      await this.syncDir(dirname(this.abs(path)));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async deleteTree(path: string): Promise<void> {
    await rm(this.abs(path), { recursive: true, force: true });
  }

  async mkdir(path: string): Promise<void> {
    await mkdir(this.abs(path), { recursive: true });
  }

  /** A fresh path under tmp/ for an atomic write. */
  async tempPath(): Promise<string> {
    await mkdir(this.abs(TMP_DIR), { recursive: true });
    return join(TMP_DIR, randomUUID());
  }

  private async syncDir(absDir: string): Promise<void> {
    const fh = await open(absDir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
