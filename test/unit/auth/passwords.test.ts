import bcrypt from 'bcryptjs';
import { costOf, dummyHashLike, hashPassword, verifyAgainstNothing, verifyPassword, MAX_PASSWORD_LENGTH, SCRYPT_DEFAULTS } from '../../../src/registry/auth/passwords.js';
import { referenceHash } from '../../../src/registry/auth/policy-store.js';
import { parsePolicyText } from '../../../src/shared/policy-parse.js';
import { PASSWORD_HASH } from '../../../src/shared/policy.js';

describe('scrypt password hashes', () => {
  test('the default hash has the PHC form, a random salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(PASSWORD_HASH.scrypt);
    expect(a.startsWith(`$scrypt$ln=${SCRYPT_DEFAULTS.ln},r=${SCRYPT_DEFAULTS.r},p=${SCRYPT_DEFAULTS.p}$`)).toBe(true);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  test('a hash with cost parameters beyond the bounds is refused, not computed', async () => {
    const ok = await hashPassword('pw', { ln: 10, r: 8, p: 1 });
    expect(await verifyPassword('pw', ok)).toBe(true);
    expect(await verifyPassword('pw', ok.replace('ln=10', 'ln=30'))).toBe(false);
    expect(await verifyPassword('pw', ok.replace('p=1', 'p=99'))).toBe(false);
  });

  test('overlong passwords are refused outright', async () => {
    const h = await hashPassword('x'.repeat(MAX_PASSWORD_LENGTH + 1), { ln: 10, r: 8, p: 1 });
    expect(await verifyPassword('x'.repeat(MAX_PASSWORD_LENGTH + 1), h)).toBe(false);
  });
});

describe('bcrypt lines from htpasswd -B', () => {
  test.each(['$2a$', '$2b$', '$2y$'])('%s hashes verify', async (prefix) => {
    const hash = prefix + bcrypt.hashSync('s3cret', 5).slice(4);
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('s3cret!', hash)).toBe(false);
  });

  test('a $2y$ hash made by another implementation (libxcrypt, as htpasswd -B makes them)', async () => {
    const hash = '$2y$05$abcdefghijklmnopqrstuuumdHvtDbXLiMUnSzTg5m4tpQDY2nJOK';
    expect(hash).toMatch(PASSWORD_HASH.bcrypt);
    expect(await verifyPassword('testpassword', hash)).toBe(true);
    expect(await verifyPassword('testpassword2', hash)).toBe(false);
  });

  test('unknown hash formats never verify', async () => {
    expect(await verifyPassword('x', '{SHA}C+7Hteo/D9vJXQ3UfzxbwnXaijM=')).toBe(false);
    expect(await verifyPassword('x', 'x')).toBe(false);
  });
});

describe('unknown accounts cost what a wrong password costs', () => {
  test.each([
    ['scrypt ln=10', () => hashPassword('pw', { ln: 10, r: 8, p: 1 })],
    ['scrypt ln=11 p=2', () => hashPassword('pw', { ln: 11, r: 4, p: 2 })],
    ['bcrypt cost 5', async () => bcrypt.hashSync('pw', 5)],
  ])('the dummy hash has the cost of the reference (%s)', async (_name, make) => {
    const reference = await make();
    const dummy = await dummyHashLike(reference);
    expect(costOf(dummy)!.replace(/^\$2[aby]/, '$2x')).toBe(costOf(reference)!.replace(/^\$2[aby]/, '$2x'));
    expect(await verifyAgainstNothing('pw', reference)).toBe(false);
  });

  test('without a reference: the default cost', async () => {
    expect(costOf(await dummyHashLike(undefined))).toBe(`$scrypt$ln=${SCRYPT_DEFAULTS.ln},r=${SCRYPT_DEFAULTS.r},p=${SCRYPT_DEFAULTS.p}$`);
  });

  test('the reference is the cost most users of the policy share', async () => {
    const cheap = await hashPassword('a', { ln: 10, r: 8, p: 1 });
    const cheap2 = await hashPassword('b', { ln: 10, r: 8, p: 1 });
    const dear = await hashPassword('c', { ln: 11, r: 8, p: 1 });
    const policy = `version: 1\nusers:\n  - { name: a, passwordHash: "${dear}" }\n  - { name: b, passwordHash: "${cheap}" }\n  - { name: c, passwordHash: "${cheap2}" }\n`;
    expect(costOf(referenceHash(parsePolicyText(policy))!)).toBe('$scrypt$ln=10,r=8,p=1$');
    expect(referenceHash(parsePolicyText('version: 1\n'))).toBeUndefined();
  });
});
