/**
 * The token endpoint's refusals, now written by the app's one error handler: the OCI error body with `code` and
 * `message` only, `Cache-Control: no-store`, and the headers each refusal needs (`WWW-Authenticate: Basic` on 401).
 */
import { SERVICE, basic, getToken, startAuthRegistry, type AuthRegistry } from './auth-fixture.js';

let r: AuthRegistry;
beforeAll(async () => {
  r = await startAuthRegistry();
}, 30_000);
afterAll(async () => {
  await r?.stop();
});

const form = (body: string, type = 'application/x-www-form-urlencoded') =>
  fetch(`${r.url}/token`, { method: 'POST', headers: { 'Content-Type': type }, body });

test.each([
  ['wrong password', () => getToken(r.url, [], basic('alice', 'wrong')).then((t) => ({ status: t.status, headers: t.headers, body: t.body })), 401, 'UNAUTHORIZED', 'invalid username or password'],
  ['a Bearer header on GET', () => fetch(`${r.url}/token`, { headers: { Authorization: 'Bearer x' } }).then(asResult), 400, 'UNSUPPORTED', 'the token endpoint takes Basic credentials or none'],
  ['an unknown grant', () => form('grant_type=client_credentials').then(asResult), 400, 'UNSUPPORTED', 'grant_type must be password or refresh_token'],
  ['a form of another type', () => form('{}', 'application/json').then(asResult), 400, 'UNSUPPORTED', 'POST /token takes an application/x-www-form-urlencoded form'],
  ['a form over 64 KiB', () => form(`grant_type=password&x=${'a'.repeat(70_000)}`).then(asResult), 413, 'UNSUPPORTED', 'form too large'],
  ['another service', () => fetch(`${r.url}/token?service=elsewhere`).then(asResult), 400, 'UNSUPPORTED', 'service does not name this registry'],
])('%s', async (_name, send, status, code, message) => {
  const res = await send();
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ errors: [{ code, message }] });
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('www-authenticate')).toBe(status === 401 ? `Basic realm="${SERVICE}"` : null);
});

async function asResult(res: Response) {
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}
