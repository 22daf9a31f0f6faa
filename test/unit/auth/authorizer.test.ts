import { createMetrics } from '../../../src/registry/metrics.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { createAuthorizer } from '../../../src/registry/auth/authorizer.js';
import { grantAccess } from '../../../src/registry/auth/grant.js';
import { createAuthMetrics } from '../../../src/registry/auth/metrics.js';
import { hashPassword } from '../../../src/registry/auth/passwords.js';
import { VerifiedTokenCache } from '../../../src/registry/auth/token-cache.js';
import { issueAccessToken, type TokenSettings } from '../../../src/registry/auth/tokens.js';
import type { AccessItem, AuthDecision, Authorizer } from '../../../src/registry/auth/types.js';
import { ANONYMOUS } from '../../../src/shared/policy-match.js';
import { ALICE_PASSWORD, makeSettings, makeStore, policyText } from './fixtures.js';

let settings: TokenSettings;
let text: string;
let store: ReturnType<typeof makeStore>['store'];
let authorizer: Authorizer;

const repo = (name: string, ...actions: string[]): AccessItem => ({ type: 'repository', name, actions });
const CATALOG: AccessItem = { type: 'registry', name: 'catalog', actions: ['*'] };
const req = (token?: string) => ({
  authorization: token === undefined ? undefined : `Bearer ${token}`,
  clientIp: '127.0.0.1',
  externalUrl: 'http://127.0.0.1:5000',
});
const tokenFor = async (sub: string, access: AccessItem[], now = Date.now()) => (await issueAccessToken(settings, sub, access, now)).token;

beforeAll(async () => {
  settings = await makeSettings();
  text = policyText(await hashPassword(ALICE_PASSWORD, { ln: 10, r: 8, p: 1 }));
  store = makeStore(text).store;
  const metrics = createMetrics(false);
  authorizer = createAuthorizer({
    settings,
    policy: store,
    realm: '',
    cache: new VerifiedTokenCache(),
    metrics: createAuthMetrics(metrics.registry),
    logger: silentLogger(),
  });
});

function refused(d: AuthDecision) {
  if (d.ok) throw new Error('request was allowed');
  return { status: d.status, code: d.code, challenge: d.challenge };
}

describe('grantAccess: the intersection of what was asked and what the policy allows', () => {
  test.each([
    [{ kind: 'user', name: 'alice' }, [repo('team/app', '*')], [repo('team/app', 'pull', 'push', 'delete')]],
    [{ kind: 'user', name: 'alice' }, [repo('team/app', 'pull', 'push')], [repo('team/app', 'pull', 'push')]],
    [{ kind: 'robot', name: 'ci' }, [repo('team/app', 'pull', 'push', 'delete')], [repo('team/app', 'pull')]],
    [{ kind: 'robot', name: 'ci' }, [repo('team/app', '*')], [repo('team/app', 'pull')]],
    [{ kind: 'robot', name: 'ci' }, [repo('team/other', 'pull')], [repo('team/other')]],
    [ANONYMOUS, [repo('team/app', 'pull')], [repo('team/app')]],
    [ANONYMOUS, [repo('public/base', 'pull', 'push')], [repo('public/base', 'pull')]],
    [ANONYMOUS, [repo('no/such/repo', 'pull')], [repo('no/such/repo')]],
    // wildcards and invalid names are names, not patterns: they match nothing
    [{ kind: 'user', name: 'alice' }, [repo('team/*', 'pull'), repo('*', 'pull'), repo('team/**', 'pull')], [repo('team/*'), repo('*'), repo('team/**')]],
    [{ kind: 'user', name: 'alice' }, [repo('localhost:5000/team/app', 'pull')], [repo('localhost:5000/team/app')]],
    [{ kind: 'user', name: 'alice' }, [CATALOG], [CATALOG]],
    [{ kind: 'robot', name: 'ci' }, [CATALOG], [{ ...CATALOG, actions: [] }]],
    [{ kind: 'user', name: 'alice' }, [{ type: 'registry', name: 'catalog', actions: ['pull'] }], [{ type: 'registry', name: 'catalog', actions: [] }]],
    [{ kind: 'user', name: 'alice' }, [{ type: 'admin', name: 'team/app', actions: ['pull'] }], [{ type: 'admin', name: 'team/app', actions: [] }]],
  ] as const)('%j asking %j gets %j', (principal, asked, granted) => {
    expect(grantAccess(store.current, principal, asked as unknown as AccessItem[])).toEqual(granted);
  });
});

describe('authorizer: challenges and decisions', () => {
  test('no token: 401 with realm derived from the external URL, service and scope, no error', async () => {
    expect(refused(await authorizer.authorize(req(), [repo('team/app', 'pull')]))).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
      challenge: 'Bearer realm="http://127.0.0.1:5000/token",service="registry.test",scope="repository:team/app:pull"',
    });
  });

  test('/v2/ (nothing required): challenge without scope; any valid token passes, even anonymous', async () => {
    expect(refused(await authorizer.authorize(req(), [])).challenge).toBe('Bearer realm="http://127.0.0.1:5000/token",service="registry.test"');
    const d = await authorizer.authorize(req(await tokenFor('', [])), []);
    expect(d).toMatchObject({ ok: true, subject: '' });
  });

  test('Basic credentials on a registry route are not a token', async () => {
    const d = await authorizer.authorize({ ...req(), authorization: 'Basic YWxpY2U6eA==' }, []);
    expect(refused(d).status).toBe(401);
  });

  test('several required scopes go space-separated into one scope value', async () => {
    const d = await authorizer.authorize(req(), [repo('team/app', 'pull', 'push'), repo('team/base', 'pull')]);
    expect(refused(d).challenge).toContain('scope="repository:team/app:pull,push repository:team/base:pull"');
  });

  test('a configured realm wins over the request URL', async () => {
    const other = createAuthorizer({
      settings, policy: store, realm: 'https://auth.example/token', cache: new VerifiedTokenCache(),
      metrics: createAuthMetrics(createMetrics(false).registry), logger: silentLogger(),
    });
    expect(refused(await other.authorize(req(), [])).challenge).toContain('realm="https://auth.example/token"');
  });

  test.each([
    ['a token for repository A used on B', 'alice', [repo('team/app', 'pull')], [repo('team/other', 'pull')], 401, 'insufficient_scope'],
    ['a pull token used to push', 'alice', [repo('team/app', 'pull')], [repo('team/app', 'pull', 'push')], 401, 'insufficient_scope'],
    ['a pull token used to delete', 'alice', [repo('team/app', 'pull')], [repo('team/app', 'delete')], 401, 'insufficient_scope'],
    ['a robot pushing where the policy lets it only pull', 'ci', [repo('team/app', 'pull')], [repo('team/app', 'pull', 'push')], 403, undefined],
    ['a robot reading a repository the policy does not give it', 'ci', [], [repo('team/other', 'pull')], 403, undefined],
    ['anonymous reading a private repository', '', [], [repo('team/app', 'pull')], 401, 'insufficient_scope'],
    ['anonymous pushing to a public repository', '', [repo('public/base', 'pull')], [repo('public/base', 'pull', 'push')], 401, 'insufficient_scope'],
    ['catalog without registry:catalog:*', 'alice', [repo('team/app', 'pull')], [CATALOG], 401, 'insufficient_scope'],
    ['catalog for a caller the policy does not allow', 'ci', [], [CATALOG], 403, undefined],
    ['a token whose access names the repo with a host prefix', 'alice', [repo('127.0.0.1:5000/team/app', 'pull')], [repo('team/app', 'pull')], 401, 'insufficient_scope'],
    ['a token of a robot past its expiry', 'retired', [repo('team/app', 'pull')], [repo('team/app', 'pull')], 401, 'invalid_token'],
    ['a token of an account that does not exist', 'mallory', [repo('team/app', 'pull')], [repo('team/app', 'pull')], 401, 'invalid_token'],
  ] as const)('%s → %i %s', async (_name, sub, access, required, status, error) => {
    const d = refused(await authorizer.authorize(req(await tokenFor(sub, [...access])), [...required]));
    expect(d.status).toBe(status);
    expect(d.code).toBe(status === 401 ? 'UNAUTHORIZED' : 'DENIED');
    if (error) expect(d.challenge).toContain(`error="${error}"`);
    else expect(d.challenge).not.toContain('error=');
  });

  test('an expired token → 401 invalid_token', async () => {
    const old = await tokenFor('alice', [repo('team/app', 'pull')], Date.now() - 3600_000);
    expect(refused(await authorizer.authorize(req(old), [repo('team/app', 'pull')])).challenge).toContain('error="invalid_token"');
  });

  test('the right token passes, and mayPull follows the policy for its subject', async () => {
    const d = await authorizer.authorize(req(await tokenFor('alice', [repo('team/app', 'pull', 'push')])), [repo('team/app', 'pull', 'push')]);
    if (!d.ok) throw new Error('refused');
    expect(d.subject).toBe('alice');
    expect(['team/app', 'team/x/y', 'public/base', 'other/thing'].filter((r) => d.mayPull(r))).toEqual(['team/app', 'team/x/y', 'public/base']);
    const c = await authorizer.authorize(req(await tokenFor('ci', [repo('team/app', 'pull')])), [repo('team/app', 'pull')]);
    if (!c.ok) throw new Error('refused');
    expect(['team/app', 'team/x', 'public/base'].filter((r) => c.mayPull(r))).toEqual(['team/app', 'public/base']);
  });

  test('a policy change takes effect on tokens already issued (and on mayPull) at once', async () => {
    const token = await tokenFor('ci', [repo('team/app', 'pull')]);
    const ok = await authorizer.authorize(req(token), [repo('team/app', 'pull')]);
    expect(ok.ok).toBe(true);
    store.update(text.replace('principals: [robot:ci, robot:retired]', 'principals: [robot:retired]'), 'test');
    try {
      expect(refused(await authorizer.authorize(req(token), [repo('team/app', 'pull')])).status).toBe(403);
      if (ok.ok) expect(ok.mayPull('team/app')).toBe(false);
      store.update(text.replace(/ {2}- name: ci\n( {4}.*\n)+?(?= {2}- name: retired)/, ''), 'test');
      expect(store.current.account('ci')).toBeUndefined();
      expect(refused(await authorizer.authorize(req(token), [repo('team/app', 'pull')])).challenge).toContain('invalid_token');
    } finally {
      store.update(text, 'test');
    }
    expect((await authorizer.authorize(req(token), [repo('team/app', 'pull')])).ok).toBe(true);
  });
});
