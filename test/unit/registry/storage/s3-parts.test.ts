/** The S3 writer's part gatherer: parts come out whole and in order whatever the chunk sizes; at most two buffers. */
import { PartGatherer } from '../../../../src/registry/storage/drivers/s3-parts.js';

function bytes(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256));
}

const cases = [
  { name: 'chunks smaller than a part', part: 10, first: 0, chunks: [3, 3, 3, 3, 3, 3, 3] },
  { name: 'one chunk of several parts', part: 10, first: 0, chunks: [47] },
  { name: 'chunks ending exactly on part boundaries', part: 10, first: 0, chunks: [5, 5, 10, 20] },
  { name: 'a tail from the last append first', part: 10, first: 7, chunks: [2, 9, 30] },
  { name: 'less than a part in all', part: 10, first: 4, chunks: [1, 2] },
  { name: 'nothing', part: 10, first: 0, chunks: [] },
];

test.each(cases)('$name', async ({ part, first, chunks }) => {
  const all = bytes(first + chunks.reduce((a, b) => a + b, 0));
  const uploaded: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  let inflight = 0;
  const g = new PartGatherer(
    part,
    async (p) => {
      inflight++;
      expect(inflight).toBe(1); // one part goes up at a time, in order
      buffers.add(p.buffer);
      await new Promise((r) => setTimeout(r, 1));
      uploaded.push(Buffer.from(p));
      inflight--;
    },
    all.subarray(0, first),
  );
  let at = first;
  for (const n of chunks) {
    await g.write(all.subarray(at, at + n));
    at += n;
  }
  const tail = await g.finish();
  const full = Math.floor(all.length / part);
  expect(uploaded).toHaveLength(full);
  uploaded.forEach((p, i) => expect(p.equals(all.subarray(i * part, (i + 1) * part))).toBe(true));
  expect(tail.equals(all.subarray(full * part))).toBe(true);
  expect(buffers.size).toBeLessThanOrEqual(2);
});

test('a failed part upload fails the append', async () => {
  const g = new PartGatherer(4, async () => {
    throw new Error('S3 said no');
  });
  await g.write(bytes(5));
  await expect(g.finish()).rejects.toThrow('S3 said no');
});
