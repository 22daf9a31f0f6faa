/**
 * The token service in a real `berth serve` process, over HTTP: challenges, the token endpoint in both forms, and
 * the attack table of issue 3 — every forged or misused token and every escalation attempt is refused, a stranger
 * cannot tell a private repository from a missing one, and no secret reaches the logs.
 */
import { createPublicKey } from 'node:crypto';
import { SignJWT, base64url, decodeJwt, exportJWK, type JWK } from 'jose';
import { issueAccessToken, type TokenSettings } from '../../../src/registry/auth/tokens.js';
import {
  ISSUER,
  PASSWORDS,
  SECRETS,
  SERVICE,
  basic,
  call,
  getToken,
  logText,
  pushBlob,
  pushImage,
  startAuthRegistry,
  tokenFor,
  type AuthRegistry,
} from './auth-fixture.js';

let r: AuthRegistry;
let settings: TokenSettings;
let alicePush: string;
const ALICE = basic('alice', PASSWORDS.alice);
const CI = basic('ci', SECRETS.ci);
const PULLER = basic('puller', SECRETS.puller);
let secretBlob: string;

beforeAll(async () => {
  r = await startAuthRegistry({ auth: { failedLoginsPerMinute: 100 } });
  settings = await r.settings();
  alicePush = await tokenFor(r.url, ['repository:team/app:pull,push', 'repository:public/base:pull,push'], ALICE);
  await pushImage(r.url, 'team/app', 'v1', alicePush);
  await pushImage(r.url, 'public/base', 'v1', alicePush);
  const ops = await tokenFor(r.url, ['repository:private/vault:pull,push'], basic('ops', SECRETS.ops));
  secretBlob = await pushImage(r.url, 'private/vault', 'v1', ops, 'vault');
}, 60_000);

afterAll(async () => {
  await r?.stop();
});

const challengeOf = (res: { headers: Headers }) => res.headers.get('www-authenticate') ?? '';

describe('challenges', () => {
  test('/v2/ without a token: 401, Bearer challenge with quoted realm and service, no scope', async () => {
    const res = await call(r.url, 'GET', '/v2/');
    expect(res.status).toBe(401);
    expect(challengeOf(res)).toBe(`Bearer realm="${r.url}/token",service="${SERVICE}"`);
    expect(JSON.parse(res.text)).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [] }] });
  });

  test('a repository route names the scope it needs', async () => {
    const res = await call(r.url, 'GET', '/v2/team/app/manifests/v1');
    expect(res.status).toBe(401);
    expect(challengeOf(res)).toBe(`Bearer realm="${r.url}/token",service="${SERVICE}",scope="repository:team/app:pull"`);
  });

  test('the docker login dance: /v2/ → token without scope → /v2/ with Bearer is 200', async () => {
    const token = await tokenFor(r.url, [], ALICE);
    expect((await call(r.url, 'GET', '/v2/', token)).status).toBe(200);
  });

  test('a stranger cannot tell a private repository from a missing one', async () => {
    const anon = await tokenFor(r.url, ['repository:private/vault:pull', 'repository:private/nothing:pull']);
    const exists = await call(r.url, 'GET', '/v2/private/vault/manifests/v1', anon);
    const missing = await call(r.url, 'GET', '/v2/private/nothing/manifests/v1', anon);
    expect(exists.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(exists.text.replace('private/vault', 'X')).toBe(missing.text.replace('private/nothing', 'X'));
    expect(challengeOf(exists).replace('vault', 'X')).toBe(challengeOf(missing).replace('nothing', 'X'));
  });

  test('an authenticated caller the policy refuses gets 403 DENIED; a public repository is open to all', async () => {
    const bob = await tokenFor(r.url, ['repository:team/app:pull', 'repository:public/base:pull'], basic('bob', PASSWORDS.bob));
    const denied = await call(r.url, 'GET', '/v2/team/app/manifests/v1', bob);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.text).errors[0].code).toBe('DENIED');
    expect((await call(r.url, 'GET', '/v2/public/base/manifests/v1', bob)).status).toBe(200);
    const anon = await tokenFor(r.url, ['repository:public/base:pull']);
    expect((await call(r.url, 'GET', '/v2/public/base/manifests/v1', anon)).status).toBe(200);
  });
});

describe('token endpoint', () => {
  test('GET with Basic: token and access_token, expires_in, issued_at; JWT claims as distribution expects', async () => {
    const res = await getToken(r.url, ['repository:team/app:pull'], CI);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ expires_in: 300, issued_at: expect.stringMatching(/Z$/), scope: 'repository:team/app:pull' });
    expect(res.body.token).toBe(res.body.access_token);
    expect(decodeJwt(res.body.token as string)).toMatchObject({ iss: ISSUER, aud: SERVICE, sub: 'ci', access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }] });
  });

  test('POST password grant (containerd, docker login) with a refresh token, then the refresh_token grant', async () => {
    const form = (fields: Record<string, string>) =>
      fetch(`${r.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const first = await form({ grant_type: 'password', username: 'alice', password: PASSWORDS.alice, service: SERVICE, client_id: 'containerd-client', access_type: 'offline', scope: 'repository:team/app:pull' });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(body.scope).toBe('repository:team/app:pull');
    const second = await form({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: SERVICE, client_id: 'docker', scope: 'repository:team/app:pull,push' });
    expect(second.status).toBe(200);
    const refreshed = (await second.json()) as { access_token: string };
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ sub: 'alice', access: [{ actions: ['pull', 'push'] }] });
    expect((await form({ grant_type: 'refresh_token', refresh_token: body.access_token })).status).toBe(401);
  });

  test('the JWKS publishes the verification key; no private member', async () => {
    const jwks = (await (await fetch(`${r.url}/token/jwks.json`)).json()) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: settings.keys.signing.kid });
    expect(jwks.keys[0]!.d).toBeUndefined();
  });
});

describe('attack table', () => {
  const NOW = () => Date.now();
  const claims = () => ({ iss: ISSUER, sub: 'alice', aud: SERVICE, iat: Math.floor(NOW() / 1000), nbf: Math.floor(NOW() / 1000), exp: Math.floor(NOW() / 1000) + 300, jti: 'j', access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }] });
  const header = () => ({ alg: 'EdDSA', typ: 'JWT', kid: settings.keys.signing.kid });
  const part = (o: unknown) => base64url.encode(JSON.stringify(o));

  async function refusedWith(token: string, error: 'invalid_token' | 'insufficient_scope', method = 'GET', path = '/v2/team/app/manifests/v1') {
    const res = await call(r.url, method, path, token);
    expect(res.status).toBe(401);
    expect(challengeOf(res)).toContain(`error="${error}"`);
  }

  test.each([
    ['expired', async () => (await issueAccessToken(settings, 'alice', claims().access, NOW() - 10 * 60_000)).token],
    ['not yet valid', async () => (await issueAccessToken(settings, 'alice', claims().access, NOW() + 10 * 60_000)).token],
    ['wrong issuer', async () => (await issueAccessToken({ ...settings, issuer: 'evil' }, 'alice', claims().access)).token],
    ['wrong audience', async () => (await issueAccessToken({ ...settings, service: 'other-registry' }, 'alice', claims().access)).token],
    ['alg: none', async () => `${part({ alg: 'none', typ: 'JWT', kid: settings.keys.signing.kid })}.${part(claims())}.`],
    ['HS256 keyed with our public key', async () => {
      const jwk = (await (await fetch(`${r.url}/token/jwks.json`)).json()) as { keys: JWK[] };
      const pem = createPublicKey({ key: jwk.keys[0] as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      return new SignJWT(claims()).setProtectedHeader({ ...header(), alg: 'HS256' }).sign(Buffer.from(pem as string));
    }],
    ['unknown kid', async () => new SignJWT(claims()).setProtectedHeader({ ...header(), kid: 'someone-elses' }).sign(settings.keys.signing.privateKey)],
    ['tampered payload, original signature', async () => {
      const honest = await tokenFor(r.url, ['repository:team/app:pull'], PULLER);
      const [h, , s] = honest.split('.');
      return `${h}.${part({ ...decodeJwt(honest), access: claims().access })}.${s}`;
    }],
    ['signed by a key that was never ours', async () => {
      const { generateKeyPairSync } = await import('node:crypto');
      return new SignJWT(claims()).setProtectedHeader(header()).sign(generateKeyPairSync('ed25519').privateKey);
    }],
    ['a key embedded in the header', async () => {
      const { generateKeyPairSync } = await import('node:crypto');
      const pair = generateKeyPairSync('ed25519');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', jwk: await exportJWK(pair.publicKey) }).sign(pair.privateKey);
    }],
  ])('%s → 401 invalid_token', async (_name, forge) => {
    await refusedWith(await forge(), 'invalid_token');
  });

  test('a token for repository A used on B', async () => {
    const token = await tokenFor(r.url, ['repository:team/app:pull'], ALICE);
    await refusedWith(token, 'insufficient_scope', 'GET', '/v2/team/other/manifests/v1');
    await refusedWith(token, 'insufficient_scope', 'GET', '/v2/public/base/tags/list');
  });

  test('a pull token used to push or delete', async () => {
    const token = await tokenFor(r.url, ['repository:team/app:pull'], ALICE);
    await refusedWith(token, 'insufficient_scope', 'POST', '/v2/team/app/blobs/uploads/');
    await refusedWith(token, 'insufficient_scope', 'DELETE', '/v2/team/app/manifests/v1');
    const puller = await tokenFor(r.url, ['repository:team/app:pull,push,delete'], PULLER);
    expect(decodeJwt(puller).access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    expect((await call(r.url, 'POST', '/v2/team/app/blobs/uploads/', puller)).status).toBe(403);
    expect((await call(r.url, 'DELETE', '/v2/team/app/manifests/v1', puller)).status).toBe(403);
    expect((await call(r.url, 'GET', '/v2/team/app/manifests/v1', puller)).status).toBe(200);
  });

  test('scope escalation through repeated, malformed or wildcard scopes gets nothing extra', async () => {
    const res = await getToken(
      r.url,
      ['repository:team/app:pull', 'repository:team/app:push', 'repository:team/app:*', 'repository:team/*:pull', 'repository:*:*', 'repository:private/vault:pull', 'repository:team/app:pull,push,delete,admin', 'repository:team/app', 'registry:catalog:*', 'repository:../private/vault:pull'],
      PULLER,
    );
    const access = decodeJwt(res.body.token as string).access as Array<{ name: string; actions: string[] }>;
    const granted = access.filter((a) => a.actions.length > 0);
    expect(granted).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    expect((await call(r.url, 'GET', `/v2/private/vault/blobs/${secretBlob}`, res.body.token as string)).status).toBe(403);
  });

  test('mount from a repository the caller cannot read does not copy the blob', async () => {
    const ci = await tokenFor(r.url, ['repository:team/app:pull,push', 'repository:private/vault:pull'], CI);
    const res = await call(r.url, 'POST', `/v2/team/app/blobs/uploads/?mount=${secretBlob}&from=private/vault`, ci);
    expect(res.status).not.toBe(201);
    expect((await call(r.url, 'HEAD', `/v2/team/app/blobs/${secretBlob}`, ci)).status).toBe(404);
  });

  test('mount from a repository the caller can read works', async () => {
    const digest = await pushBlob(r.url, 'team/base', Buffer.from('shared layer'), await tokenFor(r.url, ['repository:team/base:pull,push'], ALICE));
    const token = await tokenFor(r.url, ['repository:team/mounted:pull,push', 'repository:team/base:pull'], ALICE);
    const res = await call(r.url, 'POST', `/v2/team/mounted/blobs/uploads/?mount=${digest}&from=team/base`, token);
    expect(res.status).toBe(201);
  });

  test('the catalog lists only what the caller may pull, and needs registry:catalog:*', async () => {
    const alice = await tokenFor(r.url, ['registry:catalog:*'], ALICE);
    const res = await call(r.url, 'GET', '/v2/_catalog', alice);
    expect(res.status).toBe(200);
    const repos = (JSON.parse(res.text) as { repositories: string[] }).repositories;
    expect(repos).toEqual(expect.arrayContaining(['public/base', 'team/app']));
    expect(repos).not.toContain('private/vault');
    const ops = await tokenFor(r.url, ['registry:catalog:*'], basic('ops', SECRETS.ops));
    expect(decodeJwt(ops).access).toEqual([{ type: 'registry', name: 'catalog', actions: [] }]);
    expect((await call(r.url, 'GET', '/v2/_catalog', ops)).status).toBe(403);
  });

});

test('brute force: past the limit per address, 429 with Retry-After, even with the right password', async () => {
  const own = await startAuthRegistry({ auth: { failedLoginsPerMinute: 5 } });
  try {
    for (let i = 0; i < 5; i++) expect((await getToken(own.url, [], basic('bob', `wrong-${i}`))).status).toBe(401);
    const blocked = await getToken(own.url, [], basic('bob', PASSWORDS.bob));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body).toEqual({ errors: [{ code: 'TOOMANYREQUESTS', message: 'too many failed logins; try again later' }] });
    // anonymous callers are not logins: they still get tokens
    expect((await getToken(own.url, ['repository:public/base:pull'])).status).toBe(200);
    const metrics = await (await fetch(`${own.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_auth_login_failures_total\{reason="rate_limited"\} 1/);
  } finally {
    await own.stop();
  }
});

test('no password, secret, token or Authorization header in any log line', async () => {
  const token = await tokenFor(r.url, ['repository:team/app:pull'], CI);
  await call(r.url, 'GET', '/v2/team/app/manifests/v1', token);
  await getToken(r.url, [], basic('alice', 'a-wrong-password'));
  await new Promise((res) => setTimeout(res, 200));
  const logs = logText(r);
  expect(logs).toContain('login failed');
  for (const secret of [...Object.values(PASSWORDS), ...Object.values(SECRETS), 'a-wrong-password', token, alicePush, token.split('.')[2]!]) {
    expect(logs).not.toContain(secret);
  }
  expect(logs.toLowerCase()).not.toMatch(/"authorization"|bearer ey|basic [a-z0-9+/=]{8}/i);
});
