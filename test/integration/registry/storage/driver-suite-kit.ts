/** What the driver suite's parts share: how a driver is opened, and small helpers (see driver-suite.ts). */
import type { StorageDriver, Writer } from '../../../../src/registry/storage/driver.js';

export interface DriverFactory {
  /** A new driver over empty storage. */
  open(): Promise<StorageDriver>;
  /** A new driver over the same storage as `driver` (as after a restart, or in another process). */
  reopen(driver: StorageDriver): Promise<StorageDriver>;
  /** Prepares storage so that a commit to the returned path fails. */
  failingCommitTarget(driver: StorageDriver): Promise<string>;
  /** Whether the driver must claim durability (acknowledged writes survive a crash). */
  durable: boolean;
  /** Whether the driver has the optional `sendRange` (otherwise blobs are served through `reader`). */
  sendRange: boolean;
  /**
   * Whether a path can only be a file or a folder (a filesystem; the memory driver copies it). An object store
   * allows both, so the stores never depend on it.
   */
  filesOrFolders: boolean;
  /**
   * Whether commit replaces an existing target (a rename), or keeps it (an object store's conditional write).
   * Targets are content-addressed, so both leave the same bytes there.
   */
  commitReplaces: boolean;
  /** Removes what `open` created. */
  cleanUp?(): Promise<void>;
}

export async function* chunks(...parts: Array<string | Buffer | Error>): AsyncGenerator<Buffer> {
  for (const p of parts) {
    if (p instanceof Error) throw p;
    yield Buffer.from(p);
  }
}

export async function readAll(stream: AsyncIterable<unknown> | undefined): Promise<string | undefined> {
  if (!stream) return undefined;
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  return Buffer.concat(out).toString();
}

export async function text(d: StorageDriver, path: string): Promise<string | undefined> {
  return (await d.get(path))?.toString();
}

/** A writer of `parts` at `path`, appended in one call. */
export async function upload(d: StorageDriver, path: string, ...parts: string[]): Promise<Writer> {
  const w = await d.writer(path, 'create');
  await w.append(chunks(...parts));
  return w;
}

