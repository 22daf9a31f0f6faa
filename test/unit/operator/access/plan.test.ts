import { credentialEvents } from '../../../../src/operator/access/credential-events.js';
import { planAccess, type AccessInputs } from '../../../../src/operator/access/plan.js';
import { secretText } from '../../../../src/operator/access/secrets.js';
import { emptyStore } from '../../../../src/operator/access/store.js';
import { indexPolicy } from '../../../../src/shared/policy-match.js';
import { parsePolicyText } from '../../../../src/shared/policy-parse.js';
import { minter, namespace, registry, repository, T0 } from './fixtures.js';

// team-b and team-c consent to pull Secrets from team-a (deliveries into other namespaces need consent: issue 9).
const consent = { 'berth.dev/accept-from': 'team-a' };
const namespaces = [namespace('team-a'), namespace('team-b', { pull: 'yes' }, 'Active', consent), namespace('team-c', { pull: 'yes' }, 'Active', consent)];
const api = repository('team-a', 'api', {
  path: 'team-a/api',
  pullSecret: { namespaces: ['team-a'], namespaceSelector: { matchLabels: { pull: 'yes' } }, serviceAccounts: ['default'] },
  pushCredentials: { enabled: true },
  rotation: { overlap: '1m' },
});
const web = repository('team-b', 'web', { path: 'team-b/web', pullSecret: { namespaces: ['team-b'], secretName: 'images' } }, '2030-01-02T00:00:00Z');
const stray = repository('team-c', 'stray', { path: 'team-a/stray' });

function inputs(over: Partial<AccessInputs> = {}): AccessInputs {
  return {
    registry: registry(),
    repositories: [api, web, stray],
    namespaces,
    store: emptyStore(),
    livePolicy: undefined,
    now: T0,
    mint: minter(),
    propagationDelayMs: 2000,
    ...over,
  };
}

const password = (obj: object | undefined): string | undefined =>
  obj && JSON.parse(secretText(obj as never, '.dockerconfigjson')!).auths['registry.example.test'].password;

describe('planAccess', () => {
  const first = planAccess(inputs());

  test('admits, selects and mints: one robot per namespace, one push robot', () => {
    expect(Object.fromEntries([...first.admissions].map(([k, a]) => [k, a.accepted ? 'ok' : a.reason]))).toEqual({
      'team-a/api': 'ok',
      'team-b/web': 'ok',
      'team-c/stray': 'PathNotAllowed',
    });
    expect(first.credentials.minted.sort()).toEqual(['pull.team-a', 'pull.team-b', 'pull.team-c', 'push.team-a.api']);
  });

  test('the policy grants exactly what the Repositories say', () => {
    const index = indexPolicy(parsePolicyText(first.policyYaml).policy);
    expect(index.actionsFor({ kind: 'robot', name: 'pull.team-b' }, 'team-a/api')).toEqual(['pull']);
    expect(index.actionsFor({ kind: 'robot', name: 'pull.team-b' }, 'team-b/web')).toEqual(['pull']);
    expect(index.actionsFor({ kind: 'robot', name: 'pull.team-c' }, 'team-b/web')).toEqual([]);
    expect(index.actionsFor({ kind: 'robot', name: 'pull.team-a' }, 'team-a/stray')).toEqual([]);
  });

  test('no Secret before the registry has the new secrets; wake up when it will', () => {
    expect(first.pullSecrets.map((p) => [p.namespace, p.name, p.object])).toEqual([
      ['team-a', 'reg-pull', undefined],
      ['team-b', 'images', undefined],
      ['team-c', 'reg-pull', undefined],
    ]);
    expect(first.requeueAfterMs).toBe(2000);
  });

  test('once the policy is live and the delay over: every Secret, with the ServiceAccounts to patch', () => {
    const next = planAccess(inputs({ store: first.credentials.store, livePolicy: first.policyYaml, now: T0 + 2000 }));
    expect(next.credentials.minted).toEqual([]);
    expect(next.policyYaml).toBe(first.policyYaml);
    const robots = first.credentials.store.robots;
    expect(next.pullSecrets.map((p) => [p.namespace, password(p.object), p.sources, p.serviceAccounts])).toEqual([
      ['team-a', robots['pull.team-a']!.current.secret, ['team-a/api'], ['default']],
      ['team-b', robots['pull.team-b']!.current.secret, ['team-a/api', 'team-b/web'], ['default']],
      ['team-c', robots['pull.team-c']!.current.secret, ['team-a/api'], ['default']],
    ]);
    expect(next.pushSecrets.map((p) => [p.namespace, p.name, password(p.object)])).toEqual([['team-a', 'api-push', robots['push.team-a.api']!.current.secret]]);
    expect(next.requeueAfterMs).toBeUndefined();
  });

  test('rotation on request: Secrets keep the old secret until the registry knows the new one; Events say so', () => {
    const live = planAccess(inputs({ store: first.credentials.store, livePolicy: first.policyYaml, now: T0 + 2000 }));
    const asked = { ...api, metadata: { ...api.metadata, annotations: { 'berth.dev/rotate': '1' } } };
    const seen = planAccess(inputs({ store: live.credentials.store, livePolicy: live.policyYaml, now: T0 + 3000 }));
    const rotated = planAccess(inputs({ repositories: [asked, web], store: seen.credentials.store, livePolicy: seen.policyYaml, now: T0 + 4000 }));
    expect(rotated.credentials.rotated.map((r) => r.robot).sort()).toEqual(['pull.team-a', 'pull.team-b', 'pull.team-c', 'push.team-a.api']);
    const old = first.credentials.store.robots['pull.team-a']!.current.secret;
    expect(password(rotated.pullSecrets[0]!.object)).toBe(old);
    expect(rotated.requeueAfterMs).toBe(2000);
    const events = credentialEvents(registry(), rotated, seen.credentials.store.robots);
    expect(events.map((e) => [e.object.metadata.name, e.reason, e.message])).toEqual([
      [
        'api',
        'CredentialsRotated',
        'rotated pull credentials of 3 namespaces (team-a, team-b, team-c) and the push credentials as requested (berth.dev/rotate on ' +
          'Repository team-a/api); the replaced secrets keep working until at least 2030-06-01T12:01:04.000Z',
      ],
      [
        'web',
        'CredentialsRotated',
        'rotated pull credentials of 1 namespace (team-b) as requested (berth.dev/rotate on Repository team-a/api); the replaced ' +
          'secrets keep working until at least 2030-06-01T12:10:04.000Z',
      ],
    ]);
    const switched = planAccess(inputs({ repositories: [asked, web], store: rotated.credentials.store, livePolicy: rotated.policyYaml, now: T0 + 6000 }));
    expect(password(switched.pullSecrets[0]!.object)).toBe(rotated.credentials.store.robots['pull.team-a']!.current.secret);
  });

  test('a namespace no longer selected loses its robot, with an Event on the Registry', () => {
    const live = planAccess(inputs({ store: first.credentials.store, livePolicy: first.policyYaml, now: T0 + 2000 }));
    const fewer = planAccess(inputs({ namespaces: [namespaces[0]!, namespaces[1]!], store: live.credentials.store, livePolicy: live.policyYaml, now: T0 + 3000 }));
    expect(fewer.credentials.revoked).toEqual([{ robot: 'pull.team-c', cause: 'unselected' }]);
    expect(fewer.pullSecrets.map((p) => p.namespace)).toEqual(['team-a', 'team-b']);
    expect(indexPolicy(parsePolicyText(fewer.policyYaml).policy).account('pull.team-c')).toBeUndefined();
    const [event] = credentialEvents(registry(), fewer, live.credentials.store.robots);
    expect([event!.object.kind, event!.reason, event!.message]).toEqual([
      'Registry',
      'CredentialsRevoked',
      'revoked pull credentials of 1 namespace (team-c): no Repository selects them any more',
    ]);
  });
});
