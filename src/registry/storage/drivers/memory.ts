/**
 * The in-memory driver: every file a list of chunks in one map, lost when the process ends (not durable). For tests,
 * and for a throwaway registry (`storage.driver: memory`, one process only). It keeps a filesystem's rules where
 * the stores could notice them (a path cannot be both a file and a folder; an upload's bytes show at its path
 * until commit), so a store that works here works on the filesystem.
 *
 * It has no `sendRange`: blobs are served through `reader`, so that path is tested too.
 */
import { Readable } from 'node:stream';
import { normalizePath, type ByteRange, type DirEntry, type PathInfo, type StorageDriver, type Writer, type WriterMode } from '../driver.js';

/** One file's bytes. An upload appends to the same object, so a writer knows whether its file is still there. */
export interface MemoryFile {
  chunks: Buffer[];
  size: number;
  mtimeMs: number;
}

/** The bytes of a memory driver, shareable by several drivers (as processes share one folder). */
export type MemoryFiles = Map<string, MemoryFile>;

function notFound(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file: ${path}`), { code: 'ENOENT' });
}

function fileOf(data: Uint8Array | string): MemoryFile {
  const copy = Buffer.from(data);
  return { chunks: copy.length > 0 ? [copy] : [], size: copy.length, mtimeMs: Date.now() };
}

/** Yields the inclusive byte range of the chunks, without copying. */
function* slices(file: MemoryFile, range: ByteRange): Generator<Buffer> {
  let at = 0;
  for (const chunk of file.chunks) {
    const from = Math.max(range.start - at, 0);
    const to = Math.min(range.end + 1 - at, chunk.length);
    if (from < to) yield chunk.subarray(from, to);
    at += chunk.length;
    if (at > range.end) return;
  }
}

export class MemoryDriver implements StorageDriver {
  readonly name = 'memory';
  readonly durable = false;

  constructor(private readonly files: MemoryFiles = new Map()) {}

  /** Another driver over the same bytes (like a second process over one folder, or a restart). */
  share(): MemoryDriver {
    return new MemoryDriver(this.files);
  }

  async stat(path: string): Promise<PathInfo | undefined> {
    const p = normalizePath(path);
    const file = this.files.get(p);
    if (file) return { size: file.size, mtimeMs: file.mtimeMs, isDirectory: false };
    return this.#isFolder(p) ? { size: 0, mtimeMs: 0, isDirectory: true } : undefined;
  }

  async get(path: string): Promise<Buffer | undefined> {
    const file = this.files.get(normalizePath(path));
    return file && Buffer.concat(file.chunks, file.size);
  }

  async put(path: string, data: Uint8Array | string): Promise<void> {
    this.#place(normalizePath(path), fileOf(data));
  }

  async create(path: string, data: Uint8Array | string): Promise<boolean> {
    const p = normalizePath(path);
    if (this.files.has(p)) return false;
    this.#place(p, fileOf(data));
    return true;
  }

  async reader(path: string, range?: ByteRange): Promise<Readable | undefined> {
    const file = this.files.get(normalizePath(path));
    if (!file) return undefined;
    return Readable.from(slices(file, range ?? { start: 0, end: file.size - 1 }), { objectMode: false });
  }

  writer(path: string, mode: 'create'): Promise<Writer>;
  writer(path: string, mode: WriterMode): Promise<Writer | undefined>;
  async writer(path: string, mode: WriterMode): Promise<Writer | undefined> {
    const p = normalizePath(path);
    if (mode === 'create') this.#place(p, fileOf(''));
    const file = this.files.get(p);
    return file && new MemoryWriter(p, file, this.files, (to, f) => this.#place(to, f));
  }

  async list(dir: string): Promise<DirEntry[]> {
    const p = normalizePath(dir);
    const prefix = p === '' ? '' : `${p}/`;
    const found = new Map<string, boolean>();
    for (const key of this.files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      found.set(slash < 0 ? rest : rest.slice(0, slash), slash >= 0);
    }
    return [...found].map(([name, isDirectory]) => ({ name, isDirectory }));
  }

  async move(from: string, to: string): Promise<void> {
    const src = normalizePath(from);
    const file = this.files.get(src);
    if (!file) throw notFound(src);
    const dst = normalizePath(to);
    const { mtimeMs } = file;
    this.#place(dst, file);
    file.mtimeMs = mtimeMs; // a move keeps the mtime, as a rename does
    if (dst !== src) this.files.delete(src);
  }

  async delete(path: string): Promise<boolean> {
    const p = normalizePath(path);
    if (p === '') throw new Error('refusing to delete the storage root');
    if (this.files.delete(p)) return true;
    let deleted = false;
    for (const key of [...this.files.keys()]) {
      if (key.startsWith(`${p}/`)) deleted = this.files.delete(key) || deleted;
    }
    return deleted;
  }

  #isFolder(p: string): boolean {
    if (p === '') return true;
    for (const key of this.files.keys()) if (key.startsWith(`${p}/`)) return true;
    return false;
  }

  /** Puts a file at `p`, refusing (as a filesystem does) a path under a file or where a folder is. */
  #place(p: string, file: MemoryFile): void {
    if (p === '' || this.#isFolder(p)) throw Object.assign(new Error(`EISDIR: ${p} is a folder`), { code: 'EISDIR' });
    const segments = p.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (this.files.has(parent)) throw Object.assign(new Error(`ENOTDIR: ${parent} is a file`), { code: 'ENOTDIR' });
    }
    file.mtimeMs = Date.now();
    this.files.set(p, file);
  }
}

/** An upload whose bytes are the file at its path; appends are gathered aside and added only whole. */
class MemoryWriter implements Writer {
  #done = false;

  constructor(
    private readonly path: string,
    private readonly file: MemoryFile,
    private readonly files: MemoryFiles,
    private readonly place: (to: string, file: MemoryFile) => void,
  ) {}

  get size(): number {
    return this.file.size;
  }

  async append(body: AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): Promise<number> {
    this.#live();
    const added: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of body) {
      onChunk?.(chunk);
      added.push(Buffer.from(chunk));
      bytes += chunk.length;
    }
    this.#live();
    this.file.chunks.push(...added);
    this.file.size += bytes;
    this.file.mtimeMs = Date.now();
    return bytes;
  }

  async commit(to: string): Promise<void> {
    this.#live();
    const dst = normalizePath(to);
    this.place(dst, { ...this.file });
    if (dst !== this.path) this.files.delete(this.path);
    this.#done = true;
  }

  async cancel(): Promise<void> {
    this.#live();
    this.files.delete(this.path);
    this.#done = true;
  }

  async close(): Promise<void> {
    this.#done = true;
  }

  async readBack(): Promise<Readable> {
    this.#live();
    return Readable.from([...this.file.chunks]);
  }

  /** Throws when this writer is finished or its file was removed or replaced (as a rename would then fail). */
  #live(): void {
    if (this.#done) throw new Error('the upload writer is closed');
    if (this.files.get(this.path) !== this.file) throw notFound(this.path);
  }
}
