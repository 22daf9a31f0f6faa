/**
 * The filesystem driver: store paths are files below a root folder.
 *
 * Durability: whole-file writes go to a temp file in the same filesystem (`<root>/tmp/`), are fsynced, renamed into
 * place, and the folder is fsynced; appends are fsynced before they resolve; renames and deletes fsync their
 * folder. So content becomes visible only whole, and what a caller was told is written survives a crash.
 */
import { closeSync, fstatSync, openSync, readFile, readSync } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { normalizePath, type ByteRange, type DirEntry, type PathInfo, type StorageDriver, type Writer, type WriterMode } from '../driver.js';
import { copyRange } from './copy-range.js';
import { isNotFound, syncDir } from './fs-io.js';
import { FsWriter } from './fs-writer.js';

/** Temp files of atomic writes, below the root (so a rename never crosses filesystems). */
const TMP_DIR = 'tmp';

/**
 * Files up to this size (links, upload state, most manifests) are read with blocking calls: four syscalls of a few
 * µs on a cached file, against several thread-pool round trips whose wake-ups dominate a manifest GET's latency
 * on a busy machine. Larger files are read off the event loop.
 */
export const SYNC_READ_MAX = 64 * 1024;

export class FsDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly durable = true;

  private constructor(private readonly root: string) {}

  /** A driver over `root`, creating the folder when it is missing. */
  static async open(root: string): Promise<FsDriver> {
    await mkdir(root, { recursive: true });
    return new FsDriver(root);
  }

  async stat(path: string): Promise<PathInfo | undefined> {
    try {
      const s = await stat(this.#abs(path));
      return { size: s.isDirectory() ? 0 : s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Small files in one blocking open/fstat/read/close ({@link SYNC_READ_MAX}); larger ones through the callback
   * `readFile` (one thread-pool job instead of the four of `fs/promises`).
   */
  get(path: string): Promise<Buffer | undefined> {
    let abs: string;
    let small: Buffer | undefined | null;
    try {
      abs = this.#abs(path);
      small = readSmallSync(abs);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (small !== null) return Promise.resolve(small);
    return new Promise((resolve, reject) => {
      readFile(abs, (err, data) => {
        if (!err) resolve(data);
        else if (isNotFound(err) || err.code === 'EISDIR') resolve(undefined);
        else reject(err);
      });
    });
  }

  async put(path: string, data: Uint8Array | string): Promise<void> {
    const target = this.#abs(path);
    if (data.length === 0 && (await this.#putEmpty(target))) return;
    const tmp = await this.#tempFile(data);
    await this.#rename(tmp, target).catch(async (err: unknown) => {
      await rm(tmp, { force: true });
      throw err;
    });
  }

  /** A temp file with the data, fsynced, then hard-linked into place: link refuses an existing target (EEXIST). */
  async create(path: string, data: Uint8Array | string): Promise<boolean> {
    const target = this.#abs(path);
    const tmp = await this.#tempFile(data);
    try {
      await mkdir(dirname(target), { recursive: true });
      await link(tmp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    await syncDir(dirname(target));
    return true;
  }

  async reader(path: string, range?: ByteRange): Promise<Readable | undefined> {
    try {
      const fh = await open(this.#abs(path), 'r');
      return fh.createReadStream({ ...range, highWaterMark: 1024 * 1024 });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  writer(path: string, mode: 'create'): Promise<Writer>;
  writer(path: string, mode: WriterMode): Promise<Writer | undefined>;
  async writer(path: string, mode: WriterMode): Promise<Writer | undefined> {
    return FsWriter.open(this.#abs(path), mode, (to) => this.#abs(to));
  }

  async list(dir: string): Promise<DirEntry[]> {
    try {
      const entries = await readdir(this.#abs(dir), { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async move(from: string, to: string): Promise<void> {
    await this.#rename(this.#abs(from), this.#abs(to));
  }

  async delete(path: string): Promise<boolean> {
    const file = this.#abs(path);
    if (file === this.root) throw new Error('refusing to delete the storage root');
    try {
      await unlink(file).catch(async (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
        await rm(file, { recursive: true });
      });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    await syncDir(dirname(file));
    return true;
  }

  /** Serves the range with two reused buffers (see copy-range.ts). */
  async sendRange(path: string, range: ByteRange, out: Writable): Promise<void> {
    return copyRange(this.#abs(path), range.start, range.end, out);
  }

  #abs(path: string): string {
    const p = normalizePath(path);
    return p === '' ? this.root : join(this.root, p);
  }

  /** Writes the data to a new temp file below the root and fsyncs it; returns its absolute path. */
  async #tempFile(data: Uint8Array | string): Promise<string> {
    await mkdir(join(this.root, TMP_DIR), { recursive: true });
    const tmp = join(this.root, TMP_DIR, randomUUID());
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    return tmp;
  }

  /** Renames (atomic), creating the target's folder, then fsyncs that folder. */
  async #rename(from: string, to: string): Promise<void> {
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
    await syncDir(dirname(to));
  }

  /**
   * An empty file (a link) needs no temp file, and no fsync of its own (it has no data): creating it is already
   * all-or-nothing, and fsyncing its folder makes the entry durable. False when a non-empty file is there (its
   * replacement takes the temp-file path, so no reader sees it shrink).
   */
  async #putEmpty(target: string): Promise<boolean> {
    await mkdir(dirname(target), { recursive: true });
    try {
      await (await open(target, 'wx')).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if ((await stat(target)).size > 0) return false;
    }
    await syncDir(dirname(target));
    return true;
  }
}

/** A small file's bytes; `undefined` when it is missing or a folder; `null` when it is larger than SYNC_READ_MAX. */
function readSmallSync(abs: string): Buffer | undefined | null {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return undefined;
    return st.size <= SYNC_READ_MAX ? readWhole(fd, st.size) : null;
  } finally {
    closeSync(fd);
  }
}

/** Reads an open file of `size` bytes to its end (it may have grown or shrunk since fstat). */
function readWhole(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size + 1);
  let n = 0;
  for (;;) {
    const got = readSync(fd, buf, n, buf.length - n, n);
    if (got === 0) return buf.subarray(0, n);
    n += got;
    if (n === buf.length) return Buffer.concat([buf, readRest(fd, n)]);
  }
}

function readRest(fd: number, from: number): Buffer {
  const parts: Buffer[] = [];
  let pos = from;
  for (;;) {
    const chunk = Buffer.allocUnsafe(SYNC_READ_MAX);
    const got = readSync(fd, chunk, 0, chunk.length, pos);
    if (got === 0) return Buffer.concat(parts);
    parts.push(chunk.subarray(0, got));
    pos += got;
  }
}
