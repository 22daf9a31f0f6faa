/**
 * The hash ring (storage/hasher/ring.ts) and its consumer, in one thread: record sizes, positions that wrap the
 * ring and 2^32, refusal when full, and digests equal to node:crypto's for every chunk size and interleaving.
 */
import { createHash, type Hash } from 'node:crypto';
import { drainRing, type DigestMessage } from '../../../../src/registry/storage/hasher/consumer.js';
import {
  allocateRing,
  placement,
  recordBytes,
  RING,
  ringViews,
  usedBytes,
  writeRecord,
  type RingViews,
} from '../../../../src/registry/storage/hasher/ring.js';

function newRing(size: number, start = 0): RingViews {
  const { control, data } = allocateRing(size);
  const ring = ringViews(control, data);
  ring.control[RING.head] = start | 0;
  ring.control[RING.tail] = start | 0;
  return ring;
}

function bytes(n: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) % 256));
}

test.each([
  [0, 16],
  [1, 32],
  [15, 32],
  [16, 32],
  [17, 48],
  [65536, 65552],
])('a record with %i data bytes takes %i', (length, total) => {
  expect(recordBytes(length)).toBe(total);
});

test.each([
  { head: 100, tail: 40, used: 60 },
  { head: 0, tail: 0, used: 0 },
  { head: 16, tail: 0xfffffff0, used: 32 }, // head wrapped 2^32, tail not yet
  { head: -16 | 0, tail: -48 | 0, used: 32 }, // as read back from the Int32 control words
])('used bytes between tail $tail and head $head: $used', ({ head, tail, used }) => {
  expect(usedBytes(head, tail)).toBe(used);
});

test.each([
  { size: 1024, pos: 0, length: 100, start: 0, first: 100 },
  { size: 1024, pos: 1000, length: 100, start: 1000, first: 24 },
  { size: 1024, pos: 1024 * 5 + 16, length: 10, start: 16, first: 10 },
  { size: 1024, pos: 0xfffffff0, length: 64, start: 1008, first: 16 },
  { size: 1024, pos: 1024, length: 0, start: 0, first: 0 },
])('placement of $length bytes at $pos in $size: start $start, $first before the end', ({ size, pos, length, start, first }) => {
  expect(placement(size, pos, length)).toEqual({ start, first });
});

test.each([0, 1000, 1023, 3 << 10])('a ring of %i bytes is refused', (size) => {
  expect(() => allocateRing(size)).toThrow(/power of two/);
});

test('writeRecord refuses a record that does not fit, and fills the ring exactly', () => {
  const ring = newRing(1024);
  const head = writeRecord(ring, 0, 0, RING.ops.update, 1, bytes(1024 - 16 - 16, 1));
  expect(head).toBe(1024 - 16);
  expect(writeRecord(ring, head!, 0, RING.ops.update, 1, bytes(1, 1))).toBeUndefined();
  expect(writeRecord(ring, head!, 0, RING.ops.digest, 1)).toBe(1024);
  expect(writeRecord(ring, 1024, 0, RING.ops.drop, 1)).toBeUndefined();
  expect(writeRecord(ring, 1024, 16, RING.ops.drop, 1)).toBe(1040);
});

/** Produces every record of `plan` through a ring of `size` bytes, draining whenever it is full; the digests posted. */
function run(size: number, start: number, plan: Array<[number, Buffer | 'digest' | 'drop']>): { posted: DigestMessage[]; hashes: Map<number, Hash> } {
  const ring = newRing(size, start);
  const hashes = new Map<number, Hash>();
  const posted: DigestMessage[] = [];
  const drain = () => drainRing(ring, RING, hashes, (a) => createHash(a), (m) => posted.push(m));
  let head = start >>> 0;
  for (const [session, what] of plan) {
    const op = what === 'digest' ? RING.ops.digest : what === 'drop' ? RING.ops.drop : RING.ops.update;
    const data = typeof what === 'string' ? undefined : what;
    let next = writeRecord(ring, head, Atomics.load(ring.control, RING.tail), op, session, data);
    if (next === undefined) {
      drain();
      next = writeRecord(ring, head, Atomics.load(ring.control, RING.tail), op, session, data);
    }
    head = next!;
    Atomics.store(ring.control, RING.head, head | 0);
  }
  drain();
  expect(usedBytes(Atomics.load(ring.control, RING.head), Atomics.load(ring.control, RING.tail))).toBe(0);
  return { posted, hashes };
}

test.each([
  { name: 'small ring, positions from 0', size: 1024, start: 0 },
  { name: 'small ring, positions about to wrap 2^32', size: 1024, start: 0xffffff00 },
  { name: 'larger ring', size: 8192, start: 48 },
])('digests match node:crypto for every chunk size and interleaving: $name', ({ size, start }) => {
  const sessions = [1, 2, 3, 0x7fffffff];
  const sent = new Map<number, Buffer[]>(sessions.map((s) => [s, []]));
  const plan: Array<[number, Buffer | 'digest' | 'drop']> = [];
  const lengths = [0, 1, 15, 16, 17, 100, 255, 256, 300, 500, size / 4];
  let n = 0;
  for (const length of lengths) {
    for (const session of sessions) {
      const chunk = bytes(length, n++);
      sent.get(session)!.push(chunk);
      plan.push([session, chunk]);
    }
  }
  plan.push([9, bytes(40, 1)], [9, 'drop']); // dropped: no digest, nothing kept
  for (const session of sessions) plan.push([session, 'digest']);
  plan.push([5, 'digest']); // never had data: the digest of nothing
  const { posted, hashes } = run(size, start, plan);
  const expected = sessions.map((session) => ({
    session,
    hex: createHash('sha256').update(Buffer.concat(sent.get(session)!)).digest('hex'),
  }));
  expect(posted).toEqual([...expected, { session: 5, hex: createHash('sha256').digest('hex') }]);
  expect(hashes.size).toBe(0);
});

test('the consumer wakes a waiting producer only once at most half the ring is in use', () => {
  const ring = newRing(1024);
  let head = 0;
  for (let i = 0; i < 4; i++) head = writeRecord(ring, head, 0, RING.ops.update, 1, bytes(200, i))!; // 4 × 216 of 1024
  Atomics.store(ring.control, RING.head, head);
  Atomics.store(ring.control, RING.waiting, 1);
  const seen: number[] = []; // the flag as each record is hashed
  const spied = (): Hash => {
    const hash = createHash('sha256');
    const update = hash.update.bind(hash);
    hash.update = ((data: Uint8Array) => {
      seen.push(Atomics.load(ring.control, RING.waiting));
      return update(data);
    }) as Hash['update'];
    return hash;
  };
  drainRing(ring, RING, new Map(), spied, () => undefined);
  expect(seen).toEqual([1, 1, 0, 0]); // 648 in use after the first record, 432 after the second: woken then
});
