import { describe, expect, it } from '@jest/globals';
import { formatBytes, parseQuantity } from '../../../src/shared/quantity.js';
import { isTagPattern, tagMatcher } from '../../../src/shared/tag-patterns.js';

describe('parseQuantity', () => {
  it.each([
    ['0', 0],
    ['512', 512],
    [1024, 1024],
    ['1Ki', 1024],
    ['10Mi', 10 * 1024 * 1024],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500M', 500_000_000],
    ['2G', 2_000_000_000],
    ['1k', 1000],
    ['1Ti', 2 ** 40],
    [' 3Mi ', 3 * 2 ** 20],
    ['1.5', 2], // a decimal byte count rounds up to a whole byte
  ])('%p is %p bytes', (text, bytes) => {
    expect(parseQuantity(text)).toBe(bytes);
  });

  it.each([['-1'], ['10 Gi'], ['10gi'], ['1e9'], ['100m'], ['Gi'], [''], [-5], [1.5], ['10Gib']])('%p is not a byte quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [10 * 2 ** 20, '10.0 MiB'],
    [3 * 2 ** 30, '3.0 GiB'],
  ])('formatBytes(%p) is %p', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('tag patterns', () => {
  const cases: Array<[string[], string, boolean]> = [
    [['v*'], 'v1', true],
    [['v*'], 'v1.2.3', true],
    [['v*'], 'v', true],
    [['v*'], 'latest', false],
    [['v*'], 'dev-v1', false],
    [['release-?'], 'release-1', true],
    [['release-?'], 'release-10', false],
    [['latest'], 'latest', true],
    [['latest'], 'latest2', false],
    [['*.prod'], 'api.prod', true],
    [['*.prod'], 'apixprod', false], // the dot is literal
    [['v1.0'], 'v1x0', false],
    [['main-*', 'v*'], 'main-abc', true],
    [[], 'anything', false],
    [['bad/pattern'], 'bad/pattern', false], // invalid patterns match nothing
  ];
  it.each(cases)('%p matches %p: %p', (patterns, tag, expected) => {
    expect(tagMatcher(patterns)(tag)).toBe(expected);
  });

  it.each([
    ['v*', true],
    ['release-?', true],
    ['*', true],
    ['', false],
    ['v/1', false],
    ['v 1', false],
    ['x'.repeat(129), false],
    ['[abc]', false],
  ])('isTagPattern(%p) is %p', (p, ok) => {
    expect(isTagPattern(p)).toBe(ok);
  });
});
