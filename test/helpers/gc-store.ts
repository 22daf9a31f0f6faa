/**
 * The garbage-collection tests' look at a store through its driver (any driver: a folder or a bucket): whether a
 * digest's bytes are anywhere (its path or the GC trash), and which stored blobs do not hash to their name.
 */
import { createHash } from 'node:crypto';
import type { StorageDriver } from '../../src/registry/storage/driver.js';
import { driverFiles } from './registry-app.js';

const blobRel = (digest: string): string => {
  const hex = digest.slice('sha256:'.length);
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`;
};

/** Whether the bytes of a digest are anywhere in the store (its own path or the GC trash). */
export async function storedAnywhere(driver: StorageDriver, digest: string): Promise<boolean> {
  const rel = blobRel(digest);
  return (await driver.stat(rel)) !== undefined || (await driver.stat(`gc/trash/${rel}`)) !== undefined;
}

/** Stored blobs (also in the GC trash) whose bytes do not hash to their name. */
export async function corruptStoredBlobs(driver: StorageDriver): Promise<string[]> {
  const bad: string[] = [];
  for (const dir of ['blobs/sha256', 'gc/trash/blobs/sha256']) {
    for (const file of await driverFiles(driver, dir)) {
      const hex = file.slice(file.lastIndexOf('/') + 1);
      if (!/^[0-9a-f]{64}$/.test(hex)) continue; // an S3 commit's marker beside its blob
      const hash = createHash('sha256');
      for await (const chunk of (await driver.reader(`${dir}/${file}`))!) hash.update(chunk as Buffer);
      if (hash.digest('hex') !== hex) bad.push(`${dir}/${file}`);
    }
  }
  return bad;
}
