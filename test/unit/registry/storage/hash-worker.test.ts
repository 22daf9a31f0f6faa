/**
 * The hash worker thread (storage/hasher/): digests equal node:crypto's for many chunk sizes and sessions at once,
 * through a ring small enough that they wait for room; small sessions hash in-process; a worker that exits loses
 * its sessions' hashes (digest undefined, never a wrong one); one that fails leaves the hasher hashing in-process;
 * an idle one ends.
 */
import { createHash } from 'node:crypto';
import { HashWorker } from '../../../../src/registry/storage/hasher/hash-worker.js';
import { Hasher, SMALL_BODY_BYTES, type HashSession } from '../../../../src/registry/storage/hasher/index.js';

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 17) & 0xff;
  return b;
}

const sha256 = (chunks: Buffer[]) => createHash('sha256').update(Buffer.concat(chunks)).digest('hex');

/** Streams `chunks` through the session; they must come out unchanged and in order. */
async function feed(session: HashSession, chunks: Buffer[]): Promise<void> {
  const out: Buffer[] = [];
  for await (const chunk of session.through((async function* () { yield* chunks; })())) out.push(chunk);
  expect(out).toEqual(chunks);
}

describe('on a worker', () => {
  const hasher = new Hasher({ ringBytes: 64 * 1024 });
  afterAll(() => hasher.terminate());

  test('sessions fed at once, in chunks of many sizes (larger than the ring too), each get their own digest', async () => {
    const sizes = [0, 1, 15, 16, 17, 1000, 4096, 16_383, 65_536, 65_537, 200_000, 3];
    const plans = Array.from({ length: 6 }, (_, s) => sizes.map((n, i) => bytes(n, s * 100 + i)).slice(s % 3));
    const sessions = plans.map(() => hasher.open());
    expect(hasher.usesWorker()).toBe(true);
    await Promise.all(sessions.map((session, s) => feed(session, plans[s]!)));
    const digests = await Promise.all(sessions.map((session) => session.digest()));
    expect(digests).toEqual(plans.map(sha256));
  });

  test.each([
    { name: 'a small first body, then a big one', bodies: [[100, 200], [70_000, 1]] },
    { name: 'a first body of exactly the small limit, then more', bodies: [[SMALL_BODY_BYTES], [10]] },
    { name: 'a first body one byte over it', bodies: [[SMALL_BODY_BYTES - 1, 2], [5]] },
    { name: 'an empty body first, then a big one', bodies: [[], [0], [300_000]] },
    { name: 'big bodies only', bodies: [[65_536, 65_536], [1, 131_072]] },
  ])('a session over several requests: $name', async ({ bodies }) => {
    const session = hasher.open();
    const all: Buffer[] = [];
    for (const [b, sizes] of bodies.entries()) {
      const chunks = sizes.map((n, i) => bytes(n, b * 10 + i));
      all.push(...chunks);
      await feed(session, chunks);
    }
    expect(await session.digest()).toBe(sha256(all));
  });

  test('a session without data has the digest of nothing; a dropped one does not disturb the others', async () => {
    const empty = hasher.open();
    const dropped = hasher.open();
    const kept = hasher.open();
    await feed(dropped, [bytes(80_000, 1)]);
    await feed(kept, [bytes(70_000, 2)]);
    dropped.drop();
    await feed(kept, [bytes(10, 3)]);
    expect(await empty.digest()).toBe(sha256([]));
    expect(await kept.digest()).toBe(sha256([bytes(70_000, 2), bytes(10, 3)]));
  });

  test('a body whose consumer stops early is closed', async () => {
    let closed = false;
    const body = (async function* () {
      try {
        yield bytes(100_000, 1);
        yield bytes(100_000, 2);
      } finally {
        closed = true;
      }
    })();
    for await (const chunk of hasher.open().through(body)) {
      expect(chunk.length).toBe(100_000);
      break;
    }
    expect(closed).toBe(true);
  });
});

test('a 151-byte round trip to a warm worker takes well under a millisecond', async () => {
  const worker = new HashWorker();
  await worker.digest(0); // started
  const times: number[] = [];
  for (let i = 1; i <= 50; i++) {
    const start = process.hrtime.bigint();
    worker.update(i, bytes(151, i));
    expect(await worker.digest(i)).toBe(sha256([bytes(151, i)]));
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  expect(times[25]).toBeLessThan(5); // the median, with room for a loaded machine
  await worker.terminate();
});

test('a worker that exits: its digests resolve undefined, waiting writers go on, the hasher starts another', async () => {
  const worker = new HashWorker({ ringBytes: 1024 * 1024 });
  const writes = Array.from({ length: 40 }, (_, i) => worker.update(1, bytes(65_536, i))); // more than the ring
  expect(writes.some((w) => w !== undefined)).toBe(true);
  await worker.terminate();
  await Promise.all(writes);
  expect(worker.exited).toBe(true);
  expect(await worker.digest(1)).toBeUndefined();

  const hasher = new Hasher();
  const lost = hasher.open();
  await feed(lost, [bytes(100_000, 1)]);
  await hasher.terminate();
  expect(await lost.digest()).toBeUndefined();
  const next = hasher.open();
  expect(hasher.usesWorker()).toBe(true);
  await feed(next, [bytes(100_000, 1)]);
  expect(await next.digest()).toBe(sha256([bytes(100_000, 1)]));
  await hasher.terminate();
});

test('a worker that fails: sessions hash in-process meanwhile, with the same digests', async () => {
  const hasher = new Hasher({ source: 'throw new Error("no hashing today")' });
  const lost = hasher.open();
  await feed(lost, [bytes(100_000, 1)]);
  expect(await lost.digest()).toBeUndefined(); // resolved by the failed worker's exit
  expect(hasher.usesWorker()).toBe(false);
  const inline = hasher.open();
  await feed(inline, [bytes(100_000, 1)]);
  expect(await inline.digest()).toBe(sha256([bytes(100_000, 1)]));
});

test('an idle worker ends itself, with its sessions', async () => {
  const worker = new HashWorker({ ringBytes: 1024, idleMs: 30 });
  worker.update(1, bytes(10, 1));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(worker.exited).toBe(true);
  expect(worker.failed).toBe(false);
  expect(await worker.digest(1)).toBeUndefined();
});
