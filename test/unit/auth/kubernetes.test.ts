/**
 * The pure parts of Kubernetes logins: which object governs a path, what a TokenReview answer means, which passwords
 * are taken for Kubernetes tokens, the config's audience rule, and the policy's tenancy section round trip.
 */
import { reviewTargets } from '../../../src/registry/auth/kubernetes/governing.js';
import { authenticationOf } from '../../../src/registry/auth/kubernetes/reviews.js';
import { looksLikeKubeToken, unionAccess } from '../../../src/registry/auth/kubernetes/access.js';
import { ConfigError, parseConfig } from '../../../src/shared/registry-config.js';
import { parsePolicyText } from '../../../src/shared/policy-parse.js';
import { renderPolicy } from '../../../src/shared/policy-render.js';
import type { PolicyTenancy } from '../../../src/shared/policy.js';

const TENANCY: PolicyTenancy = {
  namespacePaths: true,
  grants: [
    { namespaces: ['platform'], paths: ['library/**'] },
    { namespaces: ['*'], paths: ['shared/*'] },
  ],
  repositories: [{ path: 'library/base', namespace: 'platform', name: 'base' }],
};

describe('reviewTargets', () => {
  test.each<[string, PolicyTenancy | undefined, string, ReturnType<typeof reviewTargets>]>([
    ['no tenancy: the first component names the namespace', undefined, 'team-a/api', [{ namespace: 'team-a' }]],
    ['a one-component path is its own namespace', undefined, 'team-a', [{ namespace: 'team-a' }]],
    ['a first component that is no namespace name', undefined, 'a_b/api', []],
    ['a declared path: its Repository', TENANCY, 'library/base', [{ namespace: 'platform', name: 'base' }]],
    ['an undeclared granted path: the grant and the name owner', TENANCY, 'library/x/y', [{ namespace: 'library' }, { namespace: 'platform' }]],
    ['a grant to every namespace names none', TENANCY, 'shared/x', [{ namespace: 'shared' }]],
    ['namespacePaths off', { namespacePaths: false }, 'team-a/api', []],
  ])('%s', (_what, tenancy, path, expected) => {
    expect(reviewTargets(tenancy, path)).toEqual(expected);
  });
});

describe('authenticationOf', () => {
  const user = { username: 'system:serviceaccount:team-a:ci', groups: ['system:serviceaccounts'] };
  test.each<[string, Parameters<typeof authenticationOf>[0], string[], ReturnType<typeof authenticationOf>]>([
    ['authenticated with our audience', { authenticated: true, user, audiences: ['berth'] }, ['berth'], { ok: true, user }],
    ['authenticated, audience not ours', { authenticated: true, user, audiences: ['https://kubernetes.default.svc'] }, ['berth'], { ok: false, reason: 'token_audience' }],
    ['opt-in to the API server audience (none configured)', { authenticated: true, user }, [], { ok: true, user }],
    ['not authenticated', { authenticated: false, error: 'invalid bearer token' }, ['berth'], { ok: false, reason: 'token_rejected' }],
    ['no status', undefined, ['berth'], { ok: false, reason: 'token_not_authenticated' }],
    ['authenticated without a user name', { authenticated: true, user: { username: '' }, audiences: ['berth'] }, ['berth'], { ok: false, reason: 'token_not_authenticated' }],
  ])('%s', (_what, status, audiences, expected) => {
    expect(authenticationOf(status, audiences)).toEqual(expected);
  });
});

test.each([
  ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', true],
  ['berth_0123456789abcdef0123456789abcdef', false],
  ['hunter2', false],
  ['eyJ.a.b.c', false],
])('looksLikeKubeToken(%s) is %s', (password, expected) => {
  expect(looksLikeKubeToken(password)).toBe(expected);
});

test('unionAccess merges the actions per requested item', () => {
  const a = [{ type: 'repository', name: 'x', actions: ['pull'] }];
  const b = [{ type: 'repository', name: 'x', actions: ['push', 'pull'] }];
  expect(unionAccess(a, b)).toEqual([{ type: 'repository', name: 'x', actions: ['pull', 'push'] }]);
});

describe('auth.kubernetes in the registry config', () => {
  test('defaults: off, 10s cache', () => {
    const auth = parseConfig({ auth: { kubernetes: {} } }).auth!;
    expect(auth.kubernetes).toMatchObject({ enabled: false, audiences: [], acceptApiServerAudience: false, cacheTtlMs: 10_000 });
  });
  test('enabled without an audience is refused unless the API server audience is opted into', () => {
    expect(() => parseConfig({ auth: { kubernetes: { enabled: true } } })).toThrow(ConfigError);
    expect(() => parseConfig({ auth: { kubernetes: { enabled: true } } })).toThrow(/auth\.kubernetes\.audiences/);
    expect(parseConfig({ auth: { kubernetes: { enabled: true, acceptApiServerAudience: true } } }).auth!.kubernetes!.enabled).toBe(true);
    expect(parseConfig({ auth: { kubernetes: { enabled: true, audiences: ['berth'], cacheTtl: '2s' } } }).auth!.kubernetes!.cacheTtlMs).toBe(2000);
  });
});

test('the policy tenancy section round-trips and is validated', () => {
  const policy = { users: [], robots: [], rules: [], catalog: [], tenancy: TENANCY };
  expect(parsePolicyText(renderPolicy(policy)).policy).toEqual(policy);
  expect(() => parsePolicyText('version: 1\ntenancy:\n  repositories:\n    - {path: a/b, namespace: Bad_NS, name: x}\n')).toThrow(/namespace/);
});
