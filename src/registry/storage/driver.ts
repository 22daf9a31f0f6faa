/**
 * The storage driver contract: bytes at paths, nothing more. OCI meaning (digests, links, sessions) lives one layer
 * up, in the stores, which see only this interface. Modelled on CNCF Distribution's `StorageDriver`.
 *
 * Paths are relative, `/`-separated (`blobs/sha256/ab/abcd…`); `.` and empty segments are dropped and `..` is
 * refused ({@link normalizePath}). Folders are implied by the paths below them: a folder exists while something is under
 * it. Whether a folder whose last entry was deleted still shows in `stat` and `list` differs by driver (a
 * filesystem keeps it, an object store cannot), so stores must not depend on either.
 *
 * Durability ({@link StorageDriver.durable}): a durable driver has made every write it acknowledged (put, append,
 * commit, move, delete) survive a crash of the process or the machine before its promise resolves. Atomicity holds
 * for every driver: `put` and `commit` make content visible whole or not at all, never partial.
 */
import type { Readable, Writable } from 'node:stream';

/** What `stat` knows of a path. */
export interface PathInfo {
  /** Bytes of a file; 0 for a folder. */
  size: number;
  /** Last modification (a folder: when known, else 0). */
  mtimeMs: number;
  isDirectory: boolean;
}

/** One entry of a folder listing. */
export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

/** An inclusive byte range, as in HTTP's `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The writer of one upload: bytes are appended (possibly across requests and processes: reopen it with
 * `writer(path, 'append')`), then either committed to their final path or cancelled. Until commit nothing is
 * visible at any final path. Whether the bytes so far also show at `path` itself (`stat`, `get`, `list`) is the
 * driver's business (filesystem and memory: yes; an object store: no), so stores use `size` and `readBack`.
 *
 * An object store implements this as one multipart upload keyed by `path`: append = upload parts (buffering up to
 * the minimum part size in a bounded way), reopen = find the upload and its parts again (ListMultipartUploads,
 * ListParts), commit = complete it and place it at `to` with a conditional write, cancel = abort it.
 */
export interface Writer {
  /** Bytes written so far (acknowledged appends; on a durable driver, durable). */
  readonly size: number;
  /**
   * Appends a stream. `onChunk` sees every chunk before it is written and may throw to stop. Resolves with the
   * count of bytes appended once they are durable (where the driver is). On any failure nothing of this append
   * remains and `size` is unchanged.
   */
  append(body: AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): Promise<number>;
  /**
   * Makes the bytes visible, whole, at `to` (replacing what is there: the caller writes content-addressed paths,
   * so a replaced file holds the same bytes) and ends the upload. The file's mtime is then the time of commit
   * (garbage collection's grace period counts from it). On failure nothing is visible at `to` and the
   * upload can still be cancelled.
   */
  commit(to: string): Promise<void>;
  /**
   * Optional: commits `bytes` (small, verified by the caller) to `to` as the whole content of an upload to which
   * nothing was appended (`size` 0; else it throws), with `commit`'s guarantees. One write instead of an append
   * and a commit (the S3 driver: one conditional PutObject instead of a tail object, a state update and a read).
   */
  commitBytes?(to: string, bytes: Buffer): Promise<void>;
  /** Discards the upload and its bytes; nothing of it stays visible. */
  cancel(): Promise<void>;
  /**
   * Releases what this writer holds (a file handle) and leaves the upload to be reopened later; after commit or
   * cancel it does nothing.
   */
  close(): Promise<void>;
  /**
   * Reads back what was appended so far (to verify a digest when neither the running hash nor a saved one has it).
   * An object store cannot read an unfinished multipart upload: it may finish the upload to read it, after which
   * only commit or cancel remain (the S3 driver does, for sha512; sha256 comes from `sha256`).
   */
  readBack?(): Promise<Readable>;
  /**
   * The hex SHA-256 of every byte appended so far, from hash state the driver saves with the upload at each
   * append (the S3 driver, which cannot read an upload back, does): any process can verify the digest of an upload
   * others began, without reading it.
   */
  sha256?(): Promise<string>;
}

export type WriterMode = 'create' | 'append';

/** Bytes at paths. Every method is safe to call concurrently; `undefined`/`false` mean "not there". */
export interface StorageDriver {
  /** The driver's name, as in `storage.driver`. */
  readonly name: string;
  /** Whether acknowledged writes survive a crash (see the module comment). */
  readonly durable: boolean;

  /** Size and kind of a file or folder; undefined when neither is there. */
  stat(path: string): Promise<PathInfo | undefined>;
  /** A small file's bytes, whole (manifests, links, tags); undefined when absent. */
  get(path: string): Promise<Buffer | undefined>;
  /** Writes a small file whole and atomically (readers see the old bytes or the new, never a mix), replacing it. */
  put(path: string, data: Uint8Array | string): Promise<void>;
  /**
   * Optional: writes a small file whole and atomically only when nothing is at `path`; false when something is
   * (exactly one of concurrent creators wins). The garbage collector's lease needs it; an object store implements it
   * as a conditional write (`If-None-Match: *`).
   */
  create?(path: string, data: Uint8Array | string): Promise<boolean>;
  /**
   * Optional: a small file's bytes with a tag that changes whenever it is written (an object store's ETag);
   * undefined when absent. With `replaceIf`, the garbage collector renews and takes over its lease atomically.
   */
  getVersioned?(path: string): Promise<{ data: Buffer; version: string } | undefined>;
  /**
   * Optional: replaces a small file only while it is still at `version` (`If-Match`); its new version, or undefined
   * when it was written since or is gone.
   */
  replaceIf?(path: string, data: Uint8Array | string, version: string): Promise<string | undefined>;
  /**
   * How coarse the mtimes in `stat` are (an object store's Last-Modified: 1000); 0 or absent: precise. Garbage
   * collection widens its time windows by it.
   */
  readonly mtimeResolutionMs?: number;
  /** Streams a file, or the inclusive byte range of it; undefined when absent. */
  reader(path: string, range?: ByteRange): Promise<Readable | undefined>;
  /**
   * The writer of an upload at `path`: `create` starts it empty (replacing any upload there), `append` reopens it
   * and resolves undefined when there is none.
   */
  writer(path: string, mode: 'create'): Promise<Writer>;
  writer(path: string, mode: WriterMode): Promise<Writer | undefined>;
  /** The entries directly in a folder (files and folders, unordered); empty when the folder is absent. */
  list(dir: string): Promise<DirEntry[]>;
  /**
   * Moves a file to `to`, replacing it. The file appears at `to` whole; the source is gone once this resolves (a
   * filesystem renames, so it is at exactly one of the two paths; an object store copies, then deletes). The file
   * keeps its mtime (the S3 driver keeps it in the object's metadata); garbage collection reads a moved blob's
   * mtime to see whether it was written again just before the move. A commit to `from` racing the move ends with
   * the file at `from`, as if the commit came last (atomic on a filesystem; the S3 driver checks for it).
   */
  move(from: string, to: string): Promise<void>;
  /** Deletes a file, or a folder with everything below it; false when nothing was there. */
  delete(path: string): Promise<boolean>;
  /**
   * Optional: writes a byte range of a file straight to `out` and ends it, faster than piping `reader` (the
   * filesystem driver reuses buffers). Drivers without it are served by `reader`.
   */
  sendRange?(path: string, range: ByteRange, out: Writable): Promise<void>;
  /**
   * Optional: a URL a client may fetch the file from directly (an object store's presigned GET, which honours
   * `Range`), or undefined to serve it here. Blob GETs then answer 307 to it.
   */
  redirect?(path: string): Promise<string | undefined>;
}

/**
 * A path in its one spelling: segments joined by `/`, no leading or trailing `/`; `''` is the root. Throws on `..`
 * and other segments that could leave the root, which the stores never build (so this is a guard, not a parser).
 */
export function normalizePath(path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..' || s.includes('\0'))) throw new Error(`invalid storage path ${JSON.stringify(path)}`);
  return segments.join('/');
}
