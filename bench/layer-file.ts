/**
 * Test content: incompressible pseudo-random bytes from an AES-256-CTR keystream (much faster than
 * randomBytes), a big layer written to a file 1 MiB at a time while it is hashed, never held whole.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { LayerFile } from './blob-ops.js';
import { MiB } from './stats.js';

/** An endless source of random 1 MiB-or-smaller blocks. */
export function randomStream(): (bytes: number) => Buffer {
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16));
  return (bytes) => cipher.update(Buffer.alloc(bytes));
}

/** Writes `size` random bytes to `path` (fsynced, so no write-back spills into a timing) and returns the layer. */
export async function writeRandomLayer(path: string, size: number): Promise<LayerFile> {
  const next = randomStream();
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    for (let written = 0; written < size; ) {
      const block = next(Math.min(MiB, size - written));
      hash.update(block);
      await fh.write(block);
      written += block.length;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { path, digest: `sha256:${hash.digest('hex')}`, size };
}

/** `count` distinct random blobs of `bytes` each (small layers, kept in memory). */
export function randomBlobs(count: number, bytes: number): Buffer[] {
  const next = randomStream();
  return Array.from({ length: count }, () => next(bytes));
}
