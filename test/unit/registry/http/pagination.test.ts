import { fitByBytes } from '../../../../src/registry/http/pagination.js';
import { RegistryError } from '../../../../src/registry/errors.js';
import { paginate, parseN } from '../../../../src/registry/http/pagination.js';

describe('paginate', () => {
  const all = ['a', 'b', 'c', 'd'];
  test.each([
    [undefined, undefined, ['a', 'b', 'c', 'd'], undefined],
    [2, undefined, ['a', 'b'], '</p?n=2&last=b>; rel="next"'],
    [2, 'b', ['c', 'd'], undefined],
    [4, undefined, ['a', 'b', 'c', 'd'], undefined],
    [10, undefined, ['a', 'b', 'c', 'd'], undefined],
    [0, undefined, [], undefined],
    [undefined, 'b', ['c', 'd'], undefined],
    [1, 'bb', ['c'], '</p?n=1&last=c>; rel="next"'],
    [undefined, 'z', [], undefined],
  ])('n=%s last=%s', (n, last, items, link) => {
    expect(paginate(all, n, last, '/p')).toEqual({ items, link });
  });

  test('byte order: upper case sorts before lower case', () => {
    expect(paginate(['B', 'a'], 1, 'B', '/p').items).toEqual(['a']);
  });
});

describe('parseN', () => {
  test.each([
    [undefined, undefined],
    ['0', 0],
    ['25', 25],
  ])('%s', (raw, n) => expect(parseN(raw)).toBe(n));

  test.each([['-1'], ['abc'], ['1.5'], [['1', '2']], ['9999999999']])('%j is refused', (raw) => {
    expect(() => parseN(raw)).toThrow(RegistryError);
  });
});

describe('fitByBytes', () => {
  test.each<[number[], number, number]>([
    [[10, 10, 10], 100, 3],
    [[10, 10, 10], 20, 2],
    [[10, 10, 10], 25, 2],
    [[50, 10], 20, 1], // one item is always served, however large
    [[], 10, 0],
  ])('%j within %d bytes → %d', (sizes, max, expected) => {
    expect(fitByBytes(sizes, (s) => s, max)).toBe(expected);
  });
});
