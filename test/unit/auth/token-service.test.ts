import { decodeJwt } from 'jose';
import { createAuthMetrics } from '../../../src/registry/auth/metrics.js';
import { hashPassword } from '../../../src/registry/auth/passwords.js';
import { PolicyStore } from '../../../src/registry/auth/policy-store.js';
import { LoginLimiter } from '../../../src/registry/auth/login-limiter.js';
import { parseTokenForm, parseTokenQuery, type TokenRequest } from '../../../src/registry/auth/token-request.js';
import { answerTokenRequest, type TokenServiceDeps } from '../../../src/registry/auth/token-service.js';
import { createMetrics } from '../../../src/registry/metrics.js';
import { captureLogger } from './capture-logger.js';
import { ALICE_PASSWORD, OLD_ROBOT_SECRET, ROBOT_SECRET, counter, makeSettings, policyText } from './fixtures.js';

let deps: TokenServiceDeps;
let lines: string[];
let registry: ReturnType<typeof createMetrics>['registry'];
let text: string;

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
function get(query: string, authorization?: string): TokenRequest {
  const parsed = parseTokenQuery(new URLSearchParams(query), authorization);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.request;
}
function post(form: string): TokenRequest {
  const parsed = parseTokenForm(new URLSearchParams(form));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.request;
}
const SCOPE = 'service=registry.test&scope=repository:team/app:pull,push';

beforeEach(async () => {
  const settings = await makeSettings();
  const metrics = createMetrics(false);
  registry = metrics.registry;
  const authMetrics = createAuthMetrics(registry);
  const captured = captureLogger();
  lines = captured.lines;
  text = policyText(await hashPassword(ALICE_PASSWORD, { ln: 10, r: 8, p: 1 }));
  const policy = PolicyStore.create(text, 'test', { logger: captured.logger, metrics: authMetrics });
  deps = { settings, policy, limiter: new LoginLimiter({ failuresPerMinute: 3 }), logger: captured.logger, metrics: authMetrics };
});

describe('parsing token requests', () => {
  test('GET: anonymous, Basic, repeated scope, offline_token, account', () => {
    expect(get('scope=repository:a:pull&scope=repository:b:pull%20repository:a:push')).toMatchObject({
      grant: 'anonymous',
      scopes: [
        { type: 'repository', name: 'a', actions: ['pull', 'push'] },
        { type: 'repository', name: 'b', actions: ['pull'] },
      ],
    });
    expect(get('offline_token=true&account=alice&client_id=docker', basic('alice', 'p:w'))).toMatchObject({
      grant: 'basic', credentials: { username: 'alice', password: 'p:w' }, offline: true, clientId: 'docker',
    });
    expect(parseTokenQuery(new URLSearchParams('account=bob'), basic('alice', 'x'))).toMatchObject({ ok: false });
    expect(parseTokenQuery(new URLSearchParams(''), 'Bearer abc')).toMatchObject({ ok: false });
    expect(parseTokenQuery(new URLSearchParams(''), 'Basic !!!')).toMatchObject({ ok: false });
    expect(parseTokenQuery(new URLSearchParams(''), basic('', 'x'))).toMatchObject({ ok: false });
  });

  test('POST: password and refresh_token grants; anything else is refused', () => {
    expect(post('grant_type=password&username=alice&password=pw&access_type=offline&scope=repository:a:pull repository:b:push&client_id=containerd-client')).toMatchObject({
      grant: 'password', credentials: { username: 'alice', password: 'pw' }, offline: true, clientId: 'containerd-client',
      scopes: [{ type: 'repository', name: 'a', actions: ['pull'] }, { type: 'repository', name: 'b', actions: ['push'] }],
    });
    expect(post('grant_type=refresh_token&refresh_token=abc&service=x')).toMatchObject({ grant: 'refresh_token', refreshToken: 'abc', service: 'x' });
    for (const form of ['grant_type=password&username=alice', 'grant_type=refresh_token', 'grant_type=client_credentials', '']) {
      expect(parseTokenForm(new URLSearchParams(form)).ok).toBe(false);
    }
  });
});

describe('answering token requests', () => {
  test('a user gets the intersection; the response has both token fields, expiry and issue time', async () => {
    const reply = await answerTokenRequest(deps, get(`${SCOPE}&scope=repository:other/x:pull`, basic('alice', ALICE_PASSWORD)), '10.0.0.1');
    if (reply.status !== 200) throw new Error(JSON.stringify(reply));
    expect(reply.body.token).toBe(reply.body.access_token);
    expect(reply.body.expires_in).toBe(300);
    expect(Date.parse(reply.body.issued_at)).toBeGreaterThan(Date.now() - 5000);
    expect(reply.body.refresh_token).toBeUndefined();
    expect(reply.body.scope).toBe('repository:team/app:pull,push');
    expect(decodeJwt(reply.body.token)).toMatchObject({
      sub: 'alice',
      access: [
        { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
        { type: 'repository', name: 'other/x', actions: [] },
      ],
    });
  });

  test('anonymous callers get public pull and nothing else', async () => {
    const reply = await answerTokenRequest(deps, get('scope=repository:public/base:pull,push&scope=repository:team/app:pull'), '10.0.0.1');
    if (reply.status !== 200) throw new Error('refused');
    expect(decodeJwt(reply.body.token)).toMatchObject({
      sub: '',
      access: [{ type: 'repository', name: 'public/base', actions: ['pull'] }, { type: 'repository', name: 'team/app', actions: [] }],
    });
  });

  test('a robot logs in with its secret, not with an expired old one, and not past its own expiry', async () => {
    const ok = await answerTokenRequest(deps, post(`grant_type=password&username=ci&password=${ROBOT_SECRET}&${SCOPE}`), '10.0.0.1');
    expect(ok.status).toBe(200);
    if (ok.status === 200) expect(decodeJwt(ok.body.token).access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    expect((await answerTokenRequest(deps, post(`grant_type=password&username=ci&password=${OLD_ROBOT_SECRET}`), '10.0.0.2')).status).toBe(401);
    expect((await answerTokenRequest(deps, post(`grant_type=password&username=retired&password=${ROBOT_SECRET}R`), '10.0.0.3')).status).toBe(401);
    expect(await counter(registry, 'berth_auth_login_failures_total', 'reason="expired"')).toBe(2);
  });

  test('wrong password and unknown account: the same 401; counted', async () => {
    const a = await answerTokenRequest(deps, get(SCOPE, basic('alice', 'wrong')), '10.0.0.1');
    const b = await answerTokenRequest(deps, get(SCOPE, basic('nobody', 'wrong')), '10.0.0.2');
    expect(a).toEqual({ status: 401, code: 'UNAUTHORIZED', message: 'invalid username or password' });
    expect(b).toEqual(a);
    expect(await counter(registry, 'berth_auth_token_requests_total', 'grant="basic",outcome="unauthorized"')).toBe(2);
    expect(await counter(registry, 'berth_auth_login_failures_total', 'reason="bad_secret"')).toBe(1);
    expect(await counter(registry, 'berth_auth_login_failures_total', 'reason="unknown_account"')).toBe(1);
  });

  test('a service that is not ours is refused', async () => {
    expect((await answerTokenRequest(deps, get('service=elsewhere', basic('alice', ALICE_PASSWORD)), '10.0.0.1')).status).toBe(400);
  });

  test('brute force: past the limit per client address, 429 with Retry-After, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await answerTokenRequest(deps, get(SCOPE, basic('alice', `guess${i}`)), '10.9.9.9')).status).toBe(401);
    }
    const blocked = await answerTokenRequest(deps, get(SCOPE, basic('alice', ALICE_PASSWORD)), '10.9.9.9');
    expect(blocked).toMatchObject({ status: 429, code: 'TOOMANYREQUESTS' });
    if (blocked.status === 429) expect(blocked.retryAfterS).toBeGreaterThan(50);
    expect(await counter(registry, 'berth_auth_token_requests_total', 'grant="basic",outcome="rate_limited"')).toBe(1);
  });

  test('brute force spread over addresses: limited per account', async () => {
    for (let i = 0; i < 3; i++) await answerTokenRequest(deps, get(SCOPE, basic('alice', `guess${i}`)), `10.1.0.${i}`);
    expect((await answerTokenRequest(deps, get(SCOPE, basic('alice', ALICE_PASSWORD)), '10.1.0.99')).status).toBe(429);
    // another account from a fresh address is unaffected
    expect((await answerTokenRequest(deps, get(SCOPE, basic('ci', ROBOT_SECRET)), '10.1.0.100')).status).toBe(200);
  });

  test('no password, secret or token in any log line', async () => {
    const tokenReply = await answerTokenRequest(deps, get(`${SCOPE}&offline_token=true`, basic('alice', ALICE_PASSWORD)), '10.0.0.1');
    await answerTokenRequest(deps, get(SCOPE, basic('ci', ROBOT_SECRET)), '10.0.0.1');
    await answerTokenRequest(deps, get(SCOPE, basic('alice', 'typo-password')), '10.0.0.1');
    await answerTokenRequest(deps, get(SCOPE, basic('my-password-in-the-user-field', 'x')), '10.0.0.1');
    await answerTokenRequest(deps, post('grant_type=refresh_token&refresh_token=forged.refresh.token'), '10.0.0.1');
    if (tokenReply.status !== 200) throw new Error('refused');
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const secret of [ALICE_PASSWORD, ROBOT_SECRET, 'typo-password', 'my-password-in-the-user-field', 'forged.refresh.token', tokenReply.body.token, tokenReply.body.refresh_token!]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('refresh tokens (docker identity tokens)', () => {
  const login = async (offline: string) => {
    const reply = await answerTokenRequest(deps, post(`grant_type=password&username=alice&password=${ALICE_PASSWORD}&${offline}`), '10.0.0.1');
    if (reply.status !== 200) throw new Error('refused');
    return reply.body;
  };

  test('issued only when asked (access_type=offline / offline_token=true)', async () => {
    expect((await login('')).refresh_token).toBeUndefined();
    expect((await login('access_type=offline')).refresh_token).toEqual(expect.any(String));
  });

  test('exchange for an access token with the scope asked now', async () => {
    const { refresh_token } = await login('access_type=offline');
    const reply = await answerTokenRequest(deps, post(`grant_type=refresh_token&refresh_token=${refresh_token}&${SCOPE}`), '10.0.0.1');
    if (reply.status !== 200) throw new Error('refused');
    expect(decodeJwt(reply.body.token)).toMatchObject({ sub: 'alice', access: [{ name: 'team/app', actions: ['pull', 'push'] }] });
  });

  test('revoked by a password change, and refused for another service', async () => {
    const { refresh_token } = await login('access_type=offline');
    const wrongService = await answerTokenRequest(deps, post(`grant_type=refresh_token&refresh_token=${refresh_token}&service=other`), '10.0.0.1');
    expect(wrongService.status).toBe(400);
    deps.policy.update(policyText(await hashPassword('new-password', { ln: 10, r: 8, p: 1 })), 'test');
    const revoked = await answerTokenRequest(deps, post(`grant_type=refresh_token&refresh_token=${refresh_token}`), '10.0.0.1');
    expect(revoked.status).toBe(401);
    expect(await counter(registry, 'berth_auth_login_failures_total', 'reason="revoked_refresh_token"')).toBe(1);
  });

  test('an access token is not accepted as a refresh token', async () => {
    const { access_token } = await login('');
    expect((await answerTokenRequest(deps, post(`grant_type=refresh_token&refresh_token=${access_token}`), '10.0.0.1')).status).toBe(401);
  });

  test('a robot refresh token dies with the secret it was issued for', async () => {
    const r = await answerTokenRequest(deps, get(`offline_token=true`, basic('ci', ROBOT_SECRET)), '10.0.0.1');
    if (r.status !== 200) throw new Error('refused');
    const refresh = `grant_type=refresh_token&refresh_token=${r.body.refresh_token}`;
    expect((await answerTokenRequest(deps, post(refresh), '10.0.0.1')).status).toBe(200);
    deps.policy.update(text.replace(/( {2}- name: ci\n {4}secrets:\n {6}- hash: )sha256:[0-9a-f]+/, `$1sha256:${'0'.repeat(64)}`), 'test');
    expect((await answerTokenRequest(deps, post(refresh), '10.0.0.1')).status).toBe(401);
  });
});
