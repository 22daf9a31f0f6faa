/**
 * Signing-key rotation across restarts, as the README describes it: the old key is moved aside and listed under
 * `verificationKeyFiles`, the server generates a new key on start, and a token signed before the rotation keeps
 * working until it expires while new tokens carry the new key's `kid`.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { stringify } from 'yaml';
import { startBerth } from '../../helpers/berth-process.js';
import { ISSUER, PASSWORDS, SERVICE, basePolicy, basic, call, pushImage, startAuthRegistry, tokenFor } from './auth-fixture.js';

test('a key rotation keeps tokens signed with the old key valid, and the JWKS lists both keys', async () => {
  const first = await startAuthRegistry();
  const alice = basic('alice', PASSWORDS.alice);
  await pushImage(first.url, 'team/app', 'v1', await tokenFor(first.url, ['repository:team/app:pull,push'], alice));
  const oldToken = await tokenFor(first.url, ['repository:team/app:pull'], alice);
  const oldKid = decodeProtectedHeader(oldToken).kid;
  await first.berth.stop();

  await rename(join(first.dir, 'signing-key.pem'), join(first.dir, 'old-key.pem'));
  const auth = { issuer: ISSUER, service: SERVICE, signingKeyFile: 'signing-key.pem', verificationKeyFiles: ['old-key.pem'], policyFile: 'policy.yaml' };
  await writeFile(join(first.dir, 'policy.yaml'), await basePolicy());
  await writeFile(join(first.dir, 'config.yaml'), stringify({ auth }));
  const start = () => startBerth({ config: join(first.dir, 'config.yaml'), storage: join(first.dir, 'data') });
  const second = await start();
  try {
    expect((await call(second.url, 'GET', '/v2/team/app/manifests/v1', oldToken)).status).toBe(200);
    const newToken = await tokenFor(second.url, ['repository:team/app:pull'], alice);
    const newKid = decodeProtectedHeader(newToken).kid;
    expect(newKid).not.toBe(oldKid);
    expect((await call(second.url, 'GET', '/v2/team/app/manifests/v1', newToken)).status).toBe(200);
    const jwks = (await (await fetch(`${second.url}/token/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
  } finally {
    await second.stop();
  }
  // once the old key is no longer listed, its tokens are refused
  await writeFile(join(first.dir, 'config.yaml'), stringify({ auth: { ...auth, verificationKeyFiles: [] } }));
  const third = await start();
  try {
    const res = await call(third.url, 'GET', '/v2/team/app/manifests/v1', oldToken);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  } finally {
    await third.stop();
    await first.stop();
  }
}, 60_000);
