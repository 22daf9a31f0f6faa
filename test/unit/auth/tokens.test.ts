import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { buildKeySet, loadSigningKey } from '../../../src/registry/auth/keys.js';
import {
  CLOCK_LEEWAY_S,
  TokenError,
  issueAccessToken,
  issueRefreshToken,
  verifyAccessToken,
  verifyRefreshToken,
  type TokenSettings,
} from '../../../src/registry/auth/tokens.js';
import { foreignKeyPair, makeSettings, tempDir } from './fixtures.js';

const ACCESS = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];
let settings: TokenSettings;
let good: string;
const NOW = Date.parse('2030-06-01T12:00:00Z');

beforeAll(async () => {
  settings = await makeSettings();
  good = (await issueAccessToken(settings, 'alice', ACCESS, NOW)).token;
});

function part(obj: unknown): string {
  return base64url.encode(JSON.stringify(obj));
}

async function refusal(token: string, now = NOW, s = settings): Promise<string> {
  try {
    await verifyAccessToken(s, token, now);
  } catch (err) {
    expect(err).toBeInstanceOf(TokenError);
    return (err as TokenError).reason;
  }
  throw new Error('token was accepted');
}

describe('issued access tokens', () => {
  test('carry the distribution claims and a kid header', () => {
    const header = decodeProtectedHeader(good);
    const claims = decodeJwt(good);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: settings.keys.signing.kid });
    expect(claims).toEqual({
      iss: 'berth-test',
      sub: 'alice',
      aud: 'registry.test',
      iat: NOW / 1000,
      nbf: NOW / 1000,
      exp: NOW / 1000 + 300,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      access: ACCESS,
    });
  });

  test('each token has its own jti', async () => {
    const other = (await issueAccessToken(settings, 'alice', ACCESS, NOW)).token;
    expect(decodeJwt(other).jti).not.toBe(decodeJwt(good).jti);
  });

  test('verify back to subject and access; anonymous subject is ""', async () => {
    expect(await verifyAccessToken(settings, good, NOW)).toMatchObject({ sub: 'alice', access: ACCESS });
    const anon = (await issueAccessToken(settings, '', [], NOW)).token;
    expect(await verifyAccessToken(settings, anon, NOW)).toMatchObject({ sub: '', access: [] });
  });

  test(`are accepted within ${CLOCK_LEEWAY_S}s of leeway on both sides, not beyond`, async () => {
    expect((await verifyAccessToken(settings, good, NOW + 300_000 + 59_000)).sub).toBe('alice');
    expect((await verifyAccessToken(settings, good, NOW - 59_000)).sub).toBe('alice');
    expect(await refusal(good, NOW + 300_000 + 61_000)).toBe('ERR_JWT_EXPIRED');
    expect(await refusal(good, NOW - 61_000)).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });
});

describe('attack table: every forged or misused token is refused', () => {
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown>, key: Parameters<SignJWT['sign']>[0]) =>
    new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
  const claims = () => ({ iss: 'berth-test', sub: 'alice', aud: 'registry.test', iat: NOW / 1000, nbf: NOW / 1000, exp: NOW / 1000 + 300, jti: 'x', access: ACCESS });

  test('alg: none', async () => {
    const token = `${part({ alg: 'none', typ: 'JWT', kid: settings.keys.signing.kid })}.${part(claims())}.`;
    expect(await refusal(token)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  test('HS256 keyed with our public key (PEM and raw)', async () => {
    const header = { alg: 'HS256', typ: 'JWT', kid: settings.keys.signing.kid };
    const jwk = await exportJWK(settings.keys.signing.key);
    const pem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [Buffer.from(pem as string), base64url.decode(jwk.x!)]) {
      expect(await refusal(await sign(claims(), header, secret))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    }
  });

  test('unknown kid, missing kid, or a key embedded in the header', async () => {
    const { privateKey, publicKey } = foreignKeyPair();
    expect(await refusal(await sign(claims(), { alg: 'EdDSA', typ: 'JWT', kid: 'not-ours' }, privateKey))).toBe('unknown key id');
    expect(await refusal(await sign(claims(), { alg: 'EdDSA', typ: 'JWT' }, privateKey))).toBe('unknown key id');
    const jwk = await exportJWK(publicKey);
    expect(await refusal(await sign(claims(), { alg: 'EdDSA', typ: 'JWT', jwk }, privateKey))).toBe('unknown key id');
  });

  test('signed by a key that was never ours, under our kid', async () => {
    const { privateKey } = foreignKeyPair();
    const token = await sign(claims(), { alg: 'EdDSA', typ: 'JWT', kid: settings.keys.signing.kid }, privateKey);
    expect(await refusal(token)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  test('tampered payload with the original signature', async () => {
    const [h, , s] = good.split('.');
    const escalated = { ...decodeJwt(good), access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }] };
    expect(await refusal(`${h}.${part(escalated)}.${s}`)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const otherSub = { ...decodeJwt(good), sub: 'admin' };
    expect(await refusal(`${h}.${part(otherSub)}.${s}`)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  test('wrong issuer and wrong audience (signed by our own key)', async () => {
    const other = await makeSettings(settings.keys);
    const wrongIss = (await issueAccessToken({ ...other, issuer: 'someone-else' }, 'alice', ACCESS, NOW)).token;
    const wrongAud = (await issueAccessToken({ ...other, service: 'other-registry' }, 'alice', ACCESS, NOW)).token;
    expect(await refusal(wrongIss)).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await refusal(wrongAud)).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  test('expired, and not yet valid', async () => {
    const expired = (await issueAccessToken(settings, 'alice', ACCESS, NOW - 10 * 60_000)).token;
    const future = (await issueAccessToken(settings, 'alice', ACCESS, NOW + 5 * 60_000)).token;
    expect(await refusal(expired)).toBe('ERR_JWT_EXPIRED');
    expect(await refusal(future)).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  test('a token of ours missing a required claim, or with a malformed access claim', async () => {
    const key = settings.keys.signing.privateKey;
    const header = { alg: 'EdDSA', typ: 'JWT', kid: settings.keys.signing.kid };
    const { jti: _jti, ...noJti } = claims();
    expect(await refusal(await sign(noJti, header, key))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await refusal(await sign({ ...claims(), access: 'repository:team/app:pull' }, header, key))).toBe('access claim malformed');
    expect(await refusal(await sign({ ...claims(), access: [{ type: 'repository', name: 'x', actions: 'pull' }] }, header, key))).toBe('access claim malformed');
    expect(await refusal(await sign({ ...claims(), sub: 42 }, header, key))).toBe('sub is not a string');
  });

  test('a refresh token is not an access token, nor the reverse', async () => {
    const refresh = (await issueRefreshToken(settings, 'alice', 'tag', NOW)).token;
    expect(await refusal(refresh)).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    await expect(verifyRefreshToken(settings, good, NOW)).rejects.toBeInstanceOf(TokenError);
    expect(await verifyRefreshToken(settings, refresh, NOW)).toMatchObject({ sub: 'alice', cred: 'tag' });
  });

  test('garbage', async () => {
    expect(await refusal('not-a-jwt')).toBe('malformed');
    expect(await refusal('')).toBe('malformed');
  });
});

describe('refresh tokens', () => {
  test('live 90 days, or less when the credential expires sooner', async () => {
    const long = decodeJwt((await issueRefreshToken(settings, 'ci', 't', NOW)).token);
    expect(long.exp! - long.iat!).toBe(90 * 24 * 3600);
    const capped = decodeJwt((await issueRefreshToken(settings, 'ci', 't', NOW, NOW / 1000 + 3600)).token);
    expect(capped.exp).toBe(NOW / 1000 + 3600);
    expect(decodeProtectedHeader((await issueRefreshToken(settings, 'ci', 't', NOW)).token).typ).toBe('berth-refresh+jwt');
  });
});

describe('every signing key type', () => {
  const KEYS = [
    ['Ed25519', 'EdDSA', () => generateKeyPairSync('ed25519').privateKey],
    ['RSA 2048', 'RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ['EC P-256', 'ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
    ['EC P-384', 'ES384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey],
  ] as const;

  test.each(KEYS)('%s signs %s tokens that verify, with jose alone too', async (_name, alg, make) => {
    const file = join(await tempDir(), 'key.pem');
    await writeFile(file, make().export({ type: 'pkcs8', format: 'pem' }) as string);
    const { key } = await loadSigningKey(file);
    const s = await makeSettings(buildKeySet(key, []));
    const { token } = await issueAccessToken(s, 'alice', ACCESS, NOW);
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'JWT', kid: key.kid });
    expect(await verifyAccessToken(s, token, NOW)).toMatchObject({ sub: 'alice', access: ACCESS });
    const { payload } = await jwtVerify(token, key.key, { algorithms: [alg], issuer: s.issuer, audience: s.service, currentDate: new Date(NOW) });
    expect(payload).toMatchObject({ iat: NOW / 1000, nbf: NOW / 1000, exp: NOW / 1000 + s.tokenTtlS, jti: expect.any(String) });
  });
});
