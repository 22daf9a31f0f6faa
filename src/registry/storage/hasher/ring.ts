/**
 * The ring that carries upload bytes to the hash worker: one SharedArrayBuffer of `size` bytes (a power of two) and
 * two Int32 control words, written by one producer (the event loop) and read by one consumer (the worker).
 *
 * ```
 *  control: [ head | tail | sleeping | waiting ]
 *           head, tail: free-running byte counts mod 2^32 (bytes written, bytes consumed)
 *           sleeping: 1 while the consumer waits on `head`; waiting: 1 while the producer waits on `tail`
 *  data:    … | op session length 0 | data, padded to 16 | op session length 0 | …   (records, oldest at tail)
 * ```
 *
 * A record is a 16-byte header (Int32 op, session, length, unused) and `length` bytes of data padded to 16, so a
 * header never wraps; its data may wrap to the start of the ring. `update` hashes the data into the session's
 * sha256 (creating it), `digest` posts the session's hex digest back and forgets it, `drop` forgets it. The
 * producer publishes a record by advancing `head` (Atomics), the consumer frees it by advancing `tail`.
 *
 * Wake-ups cost a futex call each, so each side wakes the other only when it said it waits: the producer notifies
 * `head` only while `sleeping` is set (and, for data, once an eighth of the ring gathered: hash-worker.ts), and the
 * consumer notifies `tail` only while `waiting` is set and at most half the ring is in use (so a producer that
 * waits is woken once per half ring, not once per record). Each side sets its flag before it checks the other's
 * counter again and then waits on it, so no wake-up is lost.
 */

export const RING = {
  /** Index of `head` in the control words. */
  head: 0,
  /** Index of `tail` in the control words. */
  tail: 1,
  /** Index of the consumer's "sleeping on head" flag. */
  sleeping: 2,
  /** Index of the producer's "waiting on tail" flag. */
  waiting: 3,
  headerBytes: 16,
  ops: { update: 1, digest: 2, drop: 3 },
} as const;

export type RingOp = (typeof RING.ops)[keyof typeof RING.ops];

/** The shared memory of a ring, and views on it (each side makes its own views of the same buffers). */
export interface RingViews {
  control: Int32Array;
  bytes: Uint8Array;
  /** The data buffer as Int32s, to read and write headers. */
  words: Int32Array;
}

export function ringViews(control: SharedArrayBuffer, data: SharedArrayBuffer): RingViews {
  return { control: new Int32Array(control), bytes: new Uint8Array(data), words: new Int32Array(data) };
}

/** A new ring of `size` bytes; `size` must be a power of two of at least 1 KiB. */
export function allocateRing(size: number): { control: SharedArrayBuffer; data: SharedArrayBuffer } {
  if (!Number.isInteger(size) || size < 1024 || (size & (size - 1)) !== 0) {
    throw new Error(`hash ring size must be a power of two ≥ 1024, got ${size}`);
  }
  return { control: new SharedArrayBuffer(16), data: new SharedArrayBuffer(size) };
}

/** Bytes a record with `length` bytes of data takes in the ring. */
export function recordBytes(length: number): number {
  return RING.headerBytes + Math.ceil(length / 16) * 16;
}

/** Bytes in use between `tail` and `head` (free-running, so the difference is taken mod 2^32). */
export function usedBytes(head: number, tail: number): number {
  return (head - tail) >>> 0;
}

/**
 * Where `length` bytes starting at free-running position `pos` land in a ring of `size` bytes: at `start`, `first`
 * of them before the end, the rest (`length - first`) from offset 0.
 */
export function placement(size: number, pos: number, length: number): { start: number; first: number } {
  const start = (pos >>> 0) & (size - 1);
  return { start, first: Math.min(length, size - start) };
}

/**
 * Writes one record at `head` when `tail` leaves room for it; returns the new head, or undefined when there is no
 * room. Does not publish it: the caller stores the new head.
 */
export function writeRecord(
  ring: RingViews,
  head: number,
  tail: number,
  op: RingOp,
  session: number,
  data?: Uint8Array,
): number | undefined {
  const size = ring.bytes.length;
  const length = data?.length ?? 0;
  const bytes = recordBytes(length);
  if (usedBytes(head, tail) + bytes > size) return undefined;
  const word = placement(size, head, 0).start >> 2;
  ring.words[word] = op;
  ring.words[word + 1] = session;
  ring.words[word + 2] = length;
  if (data && length > 0) {
    const { start, first } = placement(size, head + RING.headerBytes, length);
    ring.bytes.set(first === length ? data : data.subarray(0, first), start);
    if (first < length) ring.bytes.set(data.subarray(first), 0);
  }
  return (head + bytes) >>> 0;
}
