import bcrypt from 'bcryptjs';
import { planAccess } from '../../../../src/operator/access/plan.js';
import { emptyStore } from '../../../../src/operator/access/store.js';
import { computeRepositoryStatus } from '../../../../src/operator/access/status.js';
import { parseUsers, resolveUsers, unknownUsersMessage, type UsersSource } from '../../../../src/operator/access/users.js';
import { indexPolicy } from '../../../../src/shared/policy-match.js';
import { parsePolicyText } from '../../../../src/shared/policy-parse.js';
import { hashPassword } from '../../../../src/registry/auth/passwords.js';
import { minter, namespace, registry, repository, T0 } from './fixtures.js';

const BCRYPT = bcrypt.hashSync('alice-password', 4);
const SCRYPT = await hashPassword('bob-password', { ln: 10, r: 8, p: 1 });

describe('parseUsers: the lines of a users Secret', () => {
  test.each<[string, string, string[], string[]]>([
    ['a bcrypt line (htpasswd -B)', `alice:${BCRYPT}`, ['alice'], []],
    ['a scrypt line (berth passwd)', `bob:${SCRYPT}`, ['bob'], []],
    ['blank lines, comments and CRLF', `# people\r\n\r\nalice:${BCRYPT}\r\n  \nbob:${SCRYPT}`, ['alice', 'bob'], []],
    ['no colon', 'alice', [], ['line 1: not name:hash']],
    ['an MD5 or SHA1 htpasswd line is refused', 'carol:$apr1$abc$def\ndave:{SHA}xyz', [], ['line 1: user carol has neither a bcrypt nor a scrypt hash', 'line 2: user dave has neither a bcrypt nor a scrypt hash']],
    ['a bad name', `-x:${BCRYPT}`, [], ['line 1: "-x" is not a user name']],
    ['a name twice: the first counts', `alice:${BCRYPT}\nalice:${SCRYPT}`, ['alice'], ['line 2: user alice is defined again (the first line counts)']],
    ['a bad line does not hide the good ones', `x\nalice:${BCRYPT}`, ['alice'], ['line 1: not name:hash']],
  ])('%s', (_what, text, names, problems) => {
    const parsed = parseUsers(text);
    expect(parsed.users.map((u) => u.name)).toEqual(names);
    expect(parsed.problems).toEqual(problems);
    expect(parsed.problems.join(' ')).not.toContain('$2');
  });
});

describe('resolveUsers: which users go into the policy', () => {
  const source = (names: string[], found = true): UsersSource => ({
    secret: 'berth/people',
    found,
    users: names.map((name) => ({ name, passwordHash: BCRYPT })),
    problems: [],
  });
  const repo = (key: string, ...users: string[][]) => ({ key, spec: { access: users.map((u) => ({ users: u, robots: [], actions: ['pull' as const] })) } });
  test.each<[string, UsersSource | undefined, string[], string[], Record<string, string[]>]>([
    ['named and defined', source(['alice', 'bob']), ['alice'], ['alice'], {}],
    ['defined but named by nobody: left out (no hash the registry does not need)', source(['alice', 'bob']), [], [], {}],
    ['named, not defined: reported', source(['alice']), ['alice', 'carol'], ['alice'], { 'team-a/api': ['carol'] }],
    ['no usersSecret: every name is unknown', undefined, ['alice'], [], { 'team-a/api': ['alice'] }],
    ['the Secret does not exist', source([], false), ['alice'], [], { 'team-a/api': ['alice'] }],
    ['a user with a robot name is not a user', source(['pull.team-a']), ['pull.team-a'], [], { 'team-a/api': ['pull.team-a'] }],
  ])('%s', (_what, src, named, inPolicy, unknown) => {
    const result = resolveUsers(src, [repo('team-a/api', named)], new Set(['pull.team-a']));
    expect(result.users.map((u) => u.name)).toEqual(inPolicy);
    expect(Object.fromEntries(result.unknown)).toEqual(unknown);
  });

  test('a user named by two Repositories is in the policy once', () => {
    const result = resolveUsers(source(['alice']), [repo('a/x', ['alice']), repo('b/y', ['alice'], ['alice'])], new Set());
    expect(result.users.map((u) => u.name)).toEqual(['alice']);
  });

  test.each<[string, UsersSource | undefined, string]>([
    ['no usersSecret', undefined, 'Registry berth/reg has no spec.auth.usersSecret'],
    ['missing Secret', source([], false), 'Secret berth/people (spec.auth.usersSecret of Registry berth/reg) does not exist'],
    ['not defined', source([]), 'Secret berth/people (spec.auth.usersSecret of Registry berth/reg) does not define them'],
  ])('the message says why: %s', (_what, src, why) => {
    expect(unknownUsersMessage(['carol', 'dave'], src, 'berth/reg')).toBe(
      `spec.access names users that cannot log in: carol, dave; ${why}; they are left out of the access policy`,
    );
  });
});

describe('planAccess with a users Secret: the merged policy and the status', () => {
  const repos = [
    repository('team-a', 'api', { path: 'team-a/api', access: [{ users: ['alice', 'carol'], actions: ['pull', 'push'] }] }),
    repository('team-a', 'web', { path: 'team-a/web' }),
  ];
  const plan = (users: UsersSource | undefined) =>
    planAccess({ registry: registry(), repositories: repos, namespaces: [namespace('team-a')], store: emptyStore(), livePolicy: undefined, now: T0, mint: minter(), propagationDelayMs: 0, users });
  const withAlice: UsersSource = { secret: 'berth/people', found: true, users: [{ name: 'alice', passwordHash: BCRYPT }, { name: 'bob', passwordHash: SCRYPT }], problems: [] };

  test('alice, defined and named, may push; carol, named but not defined, is not in the policy; bob, named by nobody, neither', () => {
    const p = plan(withAlice);
    const policy = parsePolicyText(p.policyYaml).policy;
    expect(policy.users).toEqual([{ name: 'alice', passwordHash: BCRYPT }]);
    expect(JSON.stringify(policy.rules)).not.toContain('carol');
    const index = indexPolicy(policy);
    expect(index.actionsFor({ kind: 'user', name: 'alice' }, 'team-a/api')).toEqual(['pull', 'push']);
    expect(index.actionsFor({ kind: 'user', name: 'alice' }, 'team-a/web')).toEqual([]);
    expect(Object.fromEntries(p.unknownUsers)).toEqual({ 'team-a/api': ['carol'] });
  });

  test('alice removed from the Secret: she is gone from the policy (revoked on the next policy update)', () => {
    const policy = parsePolicyText(plan({ ...withAlice, users: [] }).policyYaml).policy;
    expect(policy.users).toEqual([]);
    expect(indexPolicy(policy).actionsFor({ kind: 'user', name: 'alice' }, 'team-a/api')).toEqual([]);
  });

  test('the Repository naming carol gets UsersResolved False with her name; one naming nobody has no such condition', () => {
    const p = plan(withAlice);
    const status = (i: number) =>
      computeRepositoryStatus({
        repo: repos[i]!,
        admission: p.admissions.get(`team-a/${repos[i]!.metadata.name}`)!,
        registryKey: 'berth/reg',
        path: 'x',
        users: i === 0 ? { named: 2, unknown: ['carol'], message: unknownUsersMessage(['carol'], withAlice, 'berth/reg') } : undefined,
        now: new Date(T0),
      });
    expect(status(0).conditions?.find((c) => c.type === 'UsersResolved')).toMatchObject({ status: 'False', reason: 'UnknownUsers', message: expect.stringContaining('carol') });
    expect(status(1).conditions?.map((c) => c.type)).toEqual(['Ready', 'CredentialsSynced']);
  });
});
