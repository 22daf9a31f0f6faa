import { byteCache } from '../../../../src/registry/storage/byte-cache.js';

const b = (n: number) => Buffer.alloc(n);

test('keeps entries up to its size and drops the least recently used first', () => {
  const c = byteCache(80);
  c.set('a', b(10));
  c.set('b', b(10));
  c.get('a');
  for (const k of ['c', 'd', 'e', 'f', 'g', 'h', 'i']) c.set(k, b(10));
  expect(c.calculatedSize).toBe(80);
  expect(c.get('a')).toBeDefined();
  expect(c.get('b')).toBeUndefined();
});

test('refuses an entry larger than an eighth of its size', () => {
  const c = byteCache(80);
  c.set('big', b(11));
  expect(c.get('big')).toBeUndefined();
  expect(c.calculatedSize).toBe(0);
});

test('setting a key twice counts it once', () => {
  const c = byteCache(80);
  c.set('a', b(10));
  c.set('a', b(10));
  expect(c.calculatedSize).toBe(10);
});
