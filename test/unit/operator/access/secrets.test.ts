import { boundedObjectName } from '../../../../src/operator/registry/naming.js';
import { buildPullSecret, buildPushSecret, dockerConfigJson, secretText } from '../../../../src/operator/access/secrets.js';
import { usableSecret } from '../../../../src/operator/access/usable.js';
import type { StoredRobot } from '../../../../src/operator/access/store.js';
import { hashRobotSecret } from '../../../../src/shared/policy-secrets.js';
import { repository, T0 } from './fixtures.js';

describe('pull and push Secrets', () => {
  test('.dockerconfigjson: the registry host as key, with username, password and auth (base64 user:password)', () => {
    expect(JSON.parse(dockerConfigJson('registry.example.test:5000', 'pull.team-a', 'berth_s3cret'))).toEqual({
      auths: { 'registry.example.test:5000': { username: 'pull.team-a', password: 'berth_s3cret', auth: Buffer.from('pull.team-a:berth_s3cret').toString('base64') } },
    });
  });

  test('a pull Secret is a dockerconfigjson Secret labelled back to its Registry, naming its Repositories', () => {
    const s = buildPullSecret({
      registry: { namespace: 'berth', name: 'reg' },
      host: 'reg.example',
      namespace: 'team-a',
      name: 'reg-pull',
      robot: 'pull.team-a',
      secret: 'berth_x',
      sources: ['team-a/api', 'team-b/web'],
    });
    expect(s).toMatchObject({
      type: 'kubernetes.io/dockerconfigjson',
      metadata: {
        name: 'reg-pull',
        namespace: 'team-a',
        labels: {
          'app.kubernetes.io/managed-by': 'berth-operator',
          'app.kubernetes.io/component': 'pull-secret',
          'berth.dev/source-registry': 'reg',
          'berth.dev/source-registry-namespace': 'berth',
        },
        annotations: { 'berth.dev/source-repositories': 'team-a/api,team-b/web' },
      },
    });
    expect(Object.keys(s.data as object)).toEqual(['.dockerconfigjson']);
    expect(JSON.parse(secretText(s, '.dockerconfigjson')!).auths['reg.example'].password).toBe('berth_x');
  });

  test('a push Secret is owned by its Repository and carries the credential as separate keys too', () => {
    const repo = repository('team-a', 'api', { path: 'team-a/api' });
    const s = buildPushSecret({ registry: { namespace: 'berth', name: 'reg' }, host: 'reg.example', repository: repo, path: 'team-a/api', name: 'api-push', robot: 'push.team-a.api', secret: 'berth_p' });
    expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'berth.dev/v1alpha1', kind: 'Repository', name: 'api', uid: 'uid-team-a-api', controller: true }]);
    expect(['username', 'password', 'registry', 'repository'].map((k) => secretText(s, k))).toEqual(['push.team-a.api', 'berth_p', 'reg.example', 'reg.example/team-a/api']);
  });

  test('object names stay within 253 characters and stay distinct', () => {
    expect(boundedObjectName('reg', '-pull')).toBe('reg-pull');
    const a = boundedObjectName('a'.repeat(253), '-push');
    expect(a.length).toBe(253);
    expect(a.endsWith('-push')).toBe(true);
    expect(a).not.toBe(boundedObjectName(`${'a'.repeat(252)}b`, '-push'));
  });
});

describe('usableSecret: only secrets the registry has had time to load', () => {
  const DELAY = 2000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const robot: StoredRobot = {
    kind: 'pull',
    namespace: 'a',
    current: { secret: 'berth_new', issuedAt: iso(T0) },
    previous: [{ secret: 'berth_old', issuedAt: iso(T0 - 86_400_000), retiresAt: iso(T0 + 600_000) }],
  };
  const published = (...secrets: string[]) => new Set(secrets.map(hashRobotSecret));

  test.each<[string, Set<string>, number, { secret?: string; currentUsableAt?: number }]>([
    ['new secret published long enough ago', published('berth_new', 'berth_old'), T0 + DELAY, { secret: 'berth_new' }],
    ['new secret published, delay not over: the old one meanwhile', published('berth_new', 'berth_old'), T0 + 500, { secret: 'berth_old', currentUsableAt: T0 + DELAY }],
    ['new secret not in the live policy yet: the old one, new one usable a delay after now', published('berth_old'), T0 + 5000, { secret: 'berth_old', currentUsableAt: T0 + 5000 + DELAY }],
    ['old one past its overlap and new one not ready: nothing', published('berth_new', 'berth_old'), T0 + 700_000, { secret: 'berth_new' }],
  ])('%s', (_name, pub, now, expected) => {
    expect(usableSecret(robot, pub, now, DELAY)).toEqual(expected);
  });

  test('a brand-new robot has nothing to hand out until its secret is published and loaded', () => {
    const fresh: StoredRobot = { kind: 'pull', namespace: 'a', current: { secret: 'berth_first', issuedAt: iso(T0) }, previous: [] };
    expect(usableSecret(fresh, new Set(), T0, DELAY)).toEqual({ secret: undefined, currentUsableAt: T0 + DELAY });
    expect(usableSecret(fresh, published('berth_first'), T0 + DELAY, DELAY)).toEqual({ secret: 'berth_first' });
  });
});
