/** When a small upload's body is read whole, the budget that bounds those bodies, and reading exactly a length. */
import { Readable } from 'node:stream';
import { ByteBudget, readExactly, takesWholeBody, WHOLE_BODY_MAX, type WholeBodyCase } from '../../../../src/registry/storage/whole-body.js';

const empty = { size: 0, takesWhole: true, algorithm: 'sha256' };

test.each<{ name: string; upload?: Partial<WholeBodyCase['upload']>; range: WholeBodyCase['range']; want: boolean }>([
  { name: 'a small body to an empty session', range: { length: 1024 }, want: true },
  { name: 'declared from 0', range: { start: 0, length: 1024 }, want: true },
  { name: 'exactly the largest', range: { length: WHOLE_BODY_MAX }, want: true },
  { name: 'within both bounds', range: { length: 10, maxSize: 10, room: { bytes: 10 } }, want: true },
  { name: 'one byte over the largest', range: { length: WHOLE_BODY_MAX + 1 }, want: false },
  { name: 'no declared length (chunked)', range: {}, want: false },
  { name: 'an empty body', range: { length: 0 }, want: false },
  { name: 'a session with bytes', upload: { size: 5 }, range: { start: 5, length: 10 }, want: false },
  { name: 'a chunk not from 0', range: { start: 5, length: 10 }, want: false },
  { name: 'a writer that cannot take bytes whole', upload: { takesWhole: false }, range: { length: 10 }, want: false },
  { name: 'a sha512 digest', upload: { algorithm: 'sha512' }, range: { length: 10 }, want: false },
  { name: 'over uploadMaxBytes: streams, to be refused there', range: { length: 11, maxSize: 10 }, want: false },
  { name: 'over the quota room: streams, to be refused there', range: { length: 11, room: { bytes: 10 } }, want: false },
])('takesWholeBody: $name', ({ upload, range, want }) => {
  expect(takesWholeBody({ ...empty, ...upload }, range)).toBe(want);
});

test('ByteBudget takes what fits and gives it back once', () => {
  const budget = new ByteBudget(10);
  const a = budget.take(6)!;
  expect(budget.take(5)).toBeUndefined();
  const b = budget.take(4)!;
  expect(budget.used).toBe(10);
  a();
  a();
  expect(budget.used).toBe(4);
  b();
  expect(budget.used).toBe(0);
  expect(budget.take(11)).toBeUndefined();
});

const chunks = (...parts: string[]): Readable => Readable.from(parts.map((p) => Buffer.from(p)));

test.each([
  { name: 'exactly the length, in pieces', parts: ['ab', 'cde'], length: 5, want: 'abcde' },
  { name: 'one chunk', parts: ['abcde'], length: 5, want: 'abcde' },
  { name: 'longer', parts: ['abc', 'def'], length: 5, want: /longer than Content-Length/ },
  { name: 'shorter', parts: ['abc'], length: 5, want: /received 3 bytes, Content-Length said 5/ },
])('readExactly: $name', async ({ parts, length, want }) => {
  const read = readExactly(chunks(...parts), length, () => undefined);
  if (typeof want === 'string') await expect(read.then((b) => b.toString())).resolves.toBe(want);
  else await expect(read).rejects.toThrow(want);
});

test('readExactly passes every chunk to onChunk, which may stop it', async () => {
  const seen: string[] = [];
  const stop = (c: Buffer): void => {
    seen.push(c.toString());
    if (seen.length === 2) throw new Error('stop');
  };
  await expect(readExactly(chunks('a', 'b', 'c'), 3, stop)).rejects.toThrow('stop');
  expect(seen).toEqual(['a', 'b']);
});
