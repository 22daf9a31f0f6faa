/**
 * The machine's own limits, measured in the same run as the registries: what one core hashes with sha256, what
 * the storage filesystem writes sequentially including the final fsync, and what loopback TCP carries between
 * two threads. A registry's blob push needs all three, so the lowest is the ceiling it can approach.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { elapsedMs, MiB, mibPerSecond } from './stats.js';

export interface MachineLimits {
  sha256MiBps: number;
  diskFsyncMiBps: number;
  loopbackMiBps: number;
}

/** The lowest of the three limits, in MiB/s. */
export function lowestLimit(limits: MachineLimits): number {
  return Math.min(limits.sha256MiBps, limits.diskFsyncMiBps, limits.loopbackMiBps);
}

/** sha256 throughput of one core (node crypto, 1 MiB updates over a 16 MiB random buffer). */
export function measureSha256(totalMiB: number): number {
  const block = randomBytes(16 * MiB);
  const hash = createHash('sha256');
  const start = performance.now();
  for (let done = 0; done < totalMiB; done++) {
    const offset = (done % 16) * MiB;
    hash.update(block.subarray(offset, offset + MiB));
  }
  hash.digest();
  return mibPerSecond(totalMiB * MiB, elapsedMs(start));
}

/** Sequential write of `totalMiB` in 1 MiB writes to a new file in `dir`, fsync included, like `dd conv=fsync`. */
export async function measureDiskFsync(dir: string, totalMiB: number): Promise<number> {
  const file = join(dir, 'disk-limit.bin');
  const block = randomBytes(MiB);
  const fh = await open(file, 'w');
  try {
    const start = performance.now();
    for (let done = 0; done < totalMiB; done++) await fh.write(block);
    await fh.sync();
    return mibPerSecond(totalMiB * MiB, elapsedMs(start));
  } finally {
    await fh.close();
    await rm(file, { force: true });
  }
}

/** A TCP sink in a worker thread: listens on loopback, posts its port, then the byte count when the peer ends. */
const SINK = `
const { parentPort } = require('node:worker_threads');
const net = require('node:net');
const server = net.createServer((socket) => {
  let bytes = 0;
  socket.on('data', (d) => { bytes += d.length; });
  socket.on('end', () => { parentPort.postMessage({ bytes }); server.close(); });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

/** Loopback TCP throughput: this thread writes `totalMiB` in 1 MiB writes to a sink in another thread. */
export async function measureLoopback(totalMiB: number, timeoutMs = 120_000): Promise<number> {
  const worker = new Worker(SINK, { eval: true });
  try {
    const messages = workerMessages(worker, timeoutMs);
    const { port } = (await messages.next()) as { port: number };
    const block = randomBytes(MiB);
    const start = performance.now();
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    for (let done = 0; done < totalMiB; done++) {
      if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
    const { bytes } = (await messages.next()) as { bytes: number };
    if (bytes !== totalMiB * MiB) throw new Error(`loopback sink received ${bytes} bytes, expected ${totalMiB * MiB}`);
    return mibPerSecond(bytes, elapsedMs(start));
  } finally {
    await worker.terminate();
  }
}

/** Successive messages of a worker, each awaited with a timeout. */
function workerMessages(worker: Worker, timeoutMs: number): { next(): Promise<unknown> } {
  const queue: unknown[] = [];
  const waiting: Array<(value: unknown) => void> = [];
  worker.on('message', (message: unknown) => {
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else queue.push(message);
  });
  return {
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift())
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('loopback sink timed out')), timeoutMs);
            worker.once('error', reject);
            waiting.push((value) => {
              clearTimeout(timer);
              resolve(value);
            });
          }),
  };
}

/** Measures all three limits, one after the other. */
export async function measureLimits(dir: string, totalMiB: number): Promise<MachineLimits> {
  const sha256MiBps = measureSha256(totalMiB);
  const diskFsyncMiBps = await measureDiskFsync(dir, totalMiB);
  const loopbackMiBps = await measureLoopback(totalMiB * 2);
  return { sha256MiBps, diskFsyncMiBps, loopbackMiBps };
}
