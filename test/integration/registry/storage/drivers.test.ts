/** The storage driver suite against every driver: the filesystem one (on a real temp folder) and the in-memory one. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageDriver } from '../../../../src/registry/storage/driver.js';
import { FsDriver } from '../../../../src/registry/storage/drivers/filesystem.js';
import { MemoryDriver } from '../../../../src/registry/storage/drivers/memory.js';
import { describeDriver } from './driver-suite.js';

/** A commit under an existing file fails on both (a file is not a folder). */
async function underAFile(d: StorageDriver): Promise<string> {
  await d.put('blocker', 'a file');
  return 'blocker/target';
}

const roots = new Map<StorageDriver, string>();
describeDriver('filesystem', {
  async open() {
    const root = await mkdtemp(join(tmpdir(), 'berth-driver-'));
    const d = await FsDriver.open(root);
    roots.set(d, root);
    return d;
  },
  async reopen(d) {
    const other = await FsDriver.open(roots.get(d)!);
    roots.set(other, roots.get(d)!);
    return other;
  },
  failingCommitTarget: underAFile,
  durable: true,
  sendRange: true,
  filesOrFolders: true,
  commitReplaces: true,
  async cleanUp() {
    await Promise.all([...new Set(roots.values())].map((r) => rm(r, { recursive: true, force: true })));
  },
});

describeDriver('memory', {
  open: async () => new MemoryDriver(),
  reopen: async (d) => (d as MemoryDriver).share(),
  failingCommitTarget: underAFile,
  durable: false,
  sendRange: false,
  filesOrFolders: true,
  commitReplaces: true,
});
