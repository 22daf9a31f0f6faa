import { isValidName, isValidTag } from '../../../../src/shared/oci-names.js';
import { parseReference } from '../../../../src/registry/oci/names.js';

describe('repository names', () => {
  test.each(['a', 'library/ubuntu', 'a/b/c/d', 'my-app', 'my__app', 'my.app', 'a1/b2', 'x--y'])('accepts %s', (n) =>
    expect(isValidName(n)).toBe(true),
  );
  test.each([
    '',
    'A',
    'Upper/case',
    '/leading',
    'trailing/',
    'a//b',
    '..',
    'a/../b',
    'a/%2e%2e/b',
    '%2e%2e',
    '-a',
    'a-',
    'a___b',
    'a/_layers',
    'a'.repeat(201),
    'a b',
    'a\u0000b',
  ])('refuses %j', (n) => expect(isValidName(n)).toBe(false));
});

describe('tags', () => {
  test.each(['latest', 'v1.0.0', '_x', 'A-b_c.d', 'a'.repeat(128), 'sha256-' + 'a'.repeat(64)])('accepts %s', (t) =>
    expect(isValidTag(t)).toBe(true),
  );
  test.each(['', '.x', '-x', 'a'.repeat(129), 'a/b', 'a:b', 'a b', '..'])('refuses %j', (t) =>
    expect(isValidTag(t)).toBe(false),
  );
});

describe('parseReference', () => {
  test('a tag', () => expect(parseReference('v1')).toEqual({ kind: 'tag', tag: 'v1' }));
  test('a digest', () =>
    expect(parseReference('sha256:' + 'a'.repeat(64))).toEqual({
      kind: 'digest',
      digest: { algorithm: 'sha256', hex: 'a'.repeat(64) },
    }));
  test.each(['sha256:bad', 'x:y', '..', ''])('refuses %j', (r) => expect(parseReference(r)).toBeUndefined());
});
