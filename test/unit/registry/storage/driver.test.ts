import { normalizePath } from '../../../../src/registry/storage/driver.js';

test.each([
  ['blobs/sha256/ab/abc', 'blobs/sha256/ab/abc'],
  ['a//b', 'a/b'],
  ['./a/./b/', 'a/b'],
  ['/a/b', 'a/b'],
  ['', ''],
  ['.', ''],
])('normalizePath(%j) = %j', (path, want) => {
  expect(normalizePath(path)).toBe(want);
});

test.each(['..', 'a/../b', '../x', 'a/..', 'a\0b'])('normalizePath(%j) refuses it', (path) => {
  expect(() => normalizePath(path)).toThrow(/invalid storage path/);
});
