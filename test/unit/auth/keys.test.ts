import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyError, buildKeySet, loadSigningKey, loadVerificationKeys } from '../../../src/registry/auth/keys.js';
import { issueAccessToken, verifyAccessToken } from '../../../src/registry/auth/tokens.js';
import { tempDir } from './fixtures.js';

const pem = (k: { export(o: object): string | Buffer }, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }) as string;

describe('signing key', () => {
  test('generated on first start: Ed25519, mode 0600, kid = RFC 7638 thumbprint; reused afterwards', async () => {
    const file = join(await tempDir(), 'sub', 'signing-key.pem');
    const first = await loadSigningKey(file);
    expect(first.created).toBe(true);
    expect(first.key.alg).toBe('EdDSA');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const jwk = first.key.jwk;
    const thumb = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`).digest('base64url');
    expect(first.key.kid).toBe(thumb);
    const again = await loadSigningKey(file);
    expect(again.created).toBe(false);
    expect(again.key.kid).toBe(first.key.kid);
  });

  test('two processes starting at once end up with one key', async () => {
    const file = join(await tempDir(), 'signing-key.pem');
    const loaded = await Promise.all(Array.from({ length: 6 }, () => loadSigningKey(file)));
    expect(new Set(loaded.map((l) => l.key.kid)).size).toBe(1);
    expect(loaded.filter((l) => l.created)).toHaveLength(1);
  });

  test('an RSA key signs RS256, and its kid is what Distribution v3 computes from a certificate bundle', async () => {
    const file = join(await tempDir(), 'rsa.pem');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(file, pem(privateKey, 'pkcs8'));
    const { key } = await loadSigningKey(file);
    expect(key.alg).toBe('RS256');
    const { n, e } = publicKey.export({ format: 'jwk' });
    // distribution registry/auth/token/util.go getJWKThumbprint: sha256 of {"e","kty","n"} in this order, base64url
    expect(key.kid).toBe(createHash('sha256').update(`{"e":"${e}","kty":"RSA","n":"${n}"}`).digest('base64url'));
  });

  test.each([
    ['RSA 1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey],
    ['EC secp256k1', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey],
    ['X25519 (not a signing key)', () => generateKeyPairSync('x25519').privateKey],
  ])('%s is refused', async (_name, make) => {
    const file = join(await tempDir(), 'k.pem');
    await writeFile(file, pem(make(), 'pkcs8'));
    await expect(loadSigningKey(file)).rejects.toBeInstanceOf(KeyError);
  });

  test('EC P-256 signs ES256', async () => {
    const file = join(await tempDir(), 'ec.pem');
    await writeFile(file, pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'pkcs8'));
    expect((await loadSigningKey(file)).key.alg).toBe('ES256');
  });

  test('garbage and a missing file (when not allowed to create) are errors naming the file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.pem'), 'not a key');
    await expect(loadSigningKey(join(dir, 'bad.pem'))).rejects.toThrow(/bad\.pem/);
    await expect(loadSigningKey(join(dir, 'missing.pem'), false)).rejects.toThrow(/missing\.pem/);
  });
});

describe('verification keys and rotation', () => {
  test('a token signed by the previous key still verifies after the rotation; the JWKS lists both keys', async () => {
    const dir = await tempDir();
    const old = await loadSigningKey(join(dir, 'old.pem'));
    const settingsBefore = { issuer: 'i', service: 's', tokenTtlS: 300, keys: buildKeySet(old.key, []) };
    const oldToken = (await issueAccessToken(settingsBefore, 'alice', [])).token;

    const fresh = await loadSigningKey(join(dir, 'new.pem'));
    // the old private key file itself may be listed: only its public half is used
    const extra = await loadVerificationKeys(join(dir, 'old.pem'));
    const keys = buildKeySet(fresh.key, extra);
    expect(keys.jwks.keys.map((k) => k.kid)).toEqual([fresh.key.kid, old.key.kid]);
    expect(keys.jwks.keys.every((k) => k.d === undefined && k.use === 'sig')).toBe(true);
    const settingsAfter = { ...settingsBefore, keys };
    expect((await verifyAccessToken(settingsAfter, oldToken)).sub).toBe('alice');
    const newToken = (await issueAccessToken(settingsAfter, 'bob', [])).token;
    expect((await verifyAccessToken(settingsAfter, newToken)).sub).toBe('bob');
    // without the old key, the old token is refused
    await expect(verifyAccessToken({ ...settingsBefore, keys: buildKeySet(fresh.key, []) }, oldToken)).rejects.toThrow('unknown key id');
  });

  test('PEM public keys, several per file, and X.509 certificates', async () => {
    const dir = await tempDir();
    const a = generateKeyPairSync('ed25519').publicKey;
    const b = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    await writeFile(join(dir, 'two.pem'), pem(a, 'spki') + pem(b, 'spki'));
    expect((await loadVerificationKeys(join(dir, 'two.pem'))).map((k) => k.alg)).toEqual(['EdDSA', 'RS256']);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'c.key'), '-out', join(dir, 'c.crt'), '-days', '1', '-subj', '/CN=berth-test'], { stdio: 'ignore' });
    expect((await loadVerificationKeys(join(dir, 'c.crt'))).map((k) => k.alg)).toEqual(['ES256']);
  });

  test('a JWKS file: kids kept as given, private members ignored, symmetric keys refused', async () => {
    const dir = await tempDir();
    const priv = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...priv, kid: 'idp-key-1' }] }));
    const [k] = await loadVerificationKeys(join(dir, 'jwks.json'));
    expect(k!.kid).toBe('idp-key-1');
    expect(k!.jwk.d).toBeUndefined();
    expect(k!.key.type).toBe('public');
    await writeFile(join(dir, 'oct.json'), JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }] }));
    await expect(loadVerificationKeys(join(dir, 'oct.json'))).rejects.toThrow(/symmetric/);
    await writeFile(join(dir, 'none.txt'), 'nothing here');
    await expect(loadVerificationKeys(join(dir, 'none.txt'))).rejects.toBeInstanceOf(KeyError);
  });
});
