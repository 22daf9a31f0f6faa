import { digestOf, formatDigest, parseDigest, requireDigest } from '../../../../src/registry/oci/digest.js';
import { RegistryError } from '../../../../src/registry/errors.js';

const H64 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('parseDigest', () => {
  test.each([
    [`sha256:${H64}`, { algorithm: 'sha256', hex: H64 }],
    [`sha512:${'ab'.repeat(64)}`, { algorithm: 'sha512', hex: 'ab'.repeat(64) }],
  ])('accepts %s', (text, expected) => expect(parseDigest(text)).toEqual(expected));

  test.each([
    ['sha256:' + H64.toUpperCase()],
    ['sha256:' + H64.slice(1)],
    ['sha256:' + H64 + '0'],
    ['sha512:' + H64],
    ['md5:d41d8cd98f00b204e9800998ecf8427e'],
    ['sha256'],
    [':' + H64],
    ['sha256:baddigeststring'],
    ['sha256:../../etc/passwd'],
    ['SHA256:' + H64],
    [''],
  ])('refuses %s', (text) => expect(parseDigest(text)).toBeUndefined());
});

describe('requireDigest', () => {
  test('missing digest is DIGEST_INVALID', () => {
    expect(() => requireDigest(undefined)).toThrow(expect.objectContaining({ code: 'DIGEST_INVALID', status: 400 }));
  });
  test('a bad digest is DIGEST_INVALID', () => {
    expect(() => requireDigest('sha256:x')).toThrow(RegistryError);
  });
});

test('digestOf hashes bytes with the chosen algorithm', () => {
  expect(formatDigest(digestOf(Buffer.alloc(0)))).toBe(`sha256:${H64}`);
  expect(digestOf(Buffer.from('{}'), 'sha512').hex).toHaveLength(128);
});
