import { parseContentRange, parseRangeHeader, uploadRange } from '../../../../src/registry/http/ranges.js';

describe('parseRangeHeader (blob GET of 2048 bytes)', () => {
  test.each([
    [undefined, { kind: 'full' }],
    ['bytes=500-1499', { kind: 'partial', start: 500, end: 1499 }],
    ['bytes=500-', { kind: 'partial', start: 500, end: 2047 }],
    ['bytes=-500', { kind: 'partial', start: 1548, end: 2047 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 2047 }],
    ['bytes=2000-5000', { kind: 'partial', start: 2000, end: 2047 }],
    ['bytes=0-0', { kind: 'partial', start: 0, end: 0 }],
    ['bytes=500-0', { kind: 'unsatisfiable' }],
    ['bytes=5000-10000', { kind: 'unsatisfiable' }],
    ['bytes=2048-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['garbage', { kind: 'full' }],
  ])('%s', (header, expected) => {
    expect(parseRangeHeader(header, 2048)).toEqual(expected);
  });

  test('an empty blob has no satisfiable range', () => {
    expect(parseRangeHeader('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('parseContentRange (upload chunks)', () => {
  test.each([
    ['0-1023', { start: 0, end: 1023 }],
    ['1024-2047', { start: 1024, end: 2047 }],
    ['bytes 0-9', { start: 0, end: 9 }],
    ['bytes=0-9', { start: 0, end: 9 }],
    ['0-9/10', { start: 0, end: 9 }],
    ['0-9/*', { start: 0, end: 9 }],
    ['9-0', undefined],
    ['-5', undefined],
    ['a-b', undefined],
    ['', undefined],
    ['0-99999999999999999999', undefined],
  ])('%s', (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected);
  });
});

describe('uploadRange', () => {
  test.each([
    [0, '0-0'],
    [1, '0-0'],
    [10, '0-9'],
  ])('%d bytes → %s', (size, expected) => {
    expect(uploadRange(size)).toBe(expected);
  });
});
