/**
 * The hash worker's side of the ring (ring.ts): read records from `tail` to `head`, hash, free them. The worker runs
 * {@link drainRing} in a loop and sleeps on `head` (Atomics.wait) when the ring is empty; see WORKER_SOURCE.
 *
 * {@link drainRing} is sent to the worker as source text (`Function.prototype.toString`), so it must not refer to
 * anything outside its own body: the layout and node:crypto come in as arguments.
 */
import type { Hash } from 'node:crypto';
import type { RING, RingViews } from './ring.js';

/** What the worker posts back for a `digest` record. */
export interface DigestMessage {
  session: number;
  hex: string;
}

/**
 * Consumes every record published so far: `update` hashes into the session's sha256 in `hashes` (creating it),
 * `digest` posts the session's hex digest (of nothing, for a session that never had data) and forgets it, `drop`
 * forgets it. Advances `tail` after each record, and wakes a waiting producer once half the ring is free. Returns
 * the tail reached.
 */
export function drainRing(
  ring: RingViews,
  layout: typeof RING,
  hashes: Map<number, Hash>,
  createHash: (algorithm: 'sha256') => Hash,
  post: (message: DigestMessage) => void,
): number {
  const { control, bytes, words } = ring;
  const size = bytes.length;
  let tail = Atomics.load(control, layout.tail) >>> 0;
  while (tail !== Atomics.load(control, layout.head) >>> 0) {
    const word = (tail & (size - 1)) >> 2;
    const op = words[word];
    const session = words[word + 1]!;
    const length = words[word + 2]!;
    if (op === layout.ops.update) {
      let hash = hashes.get(session);
      if (!hash) hashes.set(session, (hash = createHash('sha256')));
      const start = (tail + layout.headerBytes) & (size - 1);
      const first = Math.min(length, size - start);
      hash.update(bytes.subarray(start, start + first));
      if (first < length) hash.update(bytes.subarray(0, length - first));
    } else if (op === layout.ops.digest) {
      const hash = hashes.get(session) ?? createHash('sha256');
      hashes.delete(session);
      post({ session, hex: hash.digest('hex') });
    } else if (op === layout.ops.drop) {
      hashes.delete(session);
    } else {
      throw new Error(`hash ring: unknown record op ${op} at ${tail}`);
    }
    tail = (tail + layout.headerBytes + Math.ceil(length / 16) * 16) >>> 0;
    Atomics.store(control, layout.tail, tail | 0);
    const used = (Atomics.load(control, layout.head) - tail) >>> 0;
    if (used <= size / 2 && Atomics.compareExchange(control, layout.waiting, 1, 0) === 1) Atomics.notify(control, layout.tail);
  }
  return tail;
}

/**
 * The worker's script (`new Worker(source, { eval: true })`, CommonJS): `workerData` holds the ring's buffers and
 * layout. Sleeps while the ring is empty; an error ends the thread, which the producer sees as the worker's exit.
 */
export const WORKER_SOURCE = `'use strict';
const { workerData, parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const drainRing = (${drainRing.toString()});
const { control, data, layout } = workerData;
const ring = { control: new Int32Array(control), bytes: new Uint8Array(data), words: new Int32Array(data) };
const hashes = new Map();
const post = (message) => parentPort.postMessage(message);
for (;;) {
  const tail = drainRing(ring, layout, hashes, createHash, post);
  Atomics.store(ring.control, layout.sleeping, 1);
  Atomics.wait(ring.control, layout.head, tail | 0);
  Atomics.store(ring.control, layout.sleeping, 0);
}
`;
