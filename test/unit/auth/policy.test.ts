import { PolicyError } from '../../../src/shared/policy.js';
import { parsePolicy, parsePolicyText } from '../../../src/shared/policy-parse.js';
import { renderPolicy } from '../../../src/shared/policy-render.js';
import { ANONYMOUS, indexPolicy, isAccountActive, matchesPattern } from '../../../src/shared/policy-match.js';
import { generateRobotSecret, hashRobotSecret, robotSecretMatches } from '../../../src/shared/policy-secrets.js';

const BCRYPT = '$2y$05$3hbA5VkfKQ0W5i/7EHVHCOjLZ5k4IcIzFqeVU7ug/2uP7Q0BKsLd.';
const SCRYPT = '$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w0';
const HASH = hashRobotSecret('berth_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');

describe('matchesPattern', () => {
  test.each([
    ['team/app', 'team/app', true],
    ['team/app', 'team/app2', false],
    ['team/*', 'team/app', true],
    ['team/*', 'team/app/sub', false],
    ['team/*', 'team', false],
    ['team/**', 'team', true],
    ['team/**', 'team/app', true],
    ['team/**', 'team/app/sub/deep', true],
    ['team/**', 'teamx/app', false],
    ['**/cache', 'cache', true],
    ['**/cache', 'a/b/cache', true],
    ['**/cache', 'a/b/cache2', false],
    ['a/**/z', 'a/z', true],
    ['a/**/z', 'a/b/c/z', true],
    ['**', 'anything/at/all', true],
    ['team/app-*', 'team/app-web', true],
    ['team/app-*', 'team/app', false],
    ['team/a.b', 'team/axb', false],
    ['*', 'single', true],
    ['*', 'two/parts', false],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(matchesPattern(pattern, name)).toBe(expected);
  });
});

describe('parsePolicy accepts', () => {
  test('a complete policy, with htpasswd users, * actions expanded, defaults filled', () => {
    const { policy, warnings } = parsePolicyText(`
version: 1
users: [{ name: alice, passwordHash: "${SCRYPT}" }]
htpasswd: |
  # migrated from Distribution
  bob:${BCRYPT}

robots:
  - name: ci
    secrets: [{ hash: ${HASH}, expires: 2030-01-01T00:00:00Z }]
    expires: "2031-01-01T00:00:00+02:00"
rules:
  - repositories: [team/**]
    principals: [user:alice, user:bob]
    actions: ['*']
  - repositories: [public/*]
    principals: [everyone]
    actions: [pull]
`);
    expect(policy.users.map((u) => u.name)).toEqual(['alice', 'bob']);
    expect(policy.users[1]!.passwordHash).toBe(BCRYPT);
    expect(policy.robots[0]).toEqual({ name: 'ci', secrets: [{ hash: HASH, expires: '2030-01-01T00:00:00Z' }], expires: '2031-01-01T00:00:00+02:00' });
    expect(policy.rules[0]!.actions).toEqual(['pull', 'push', 'delete']);
    expect(policy.catalog).toEqual([]);
    expect(warnings).toEqual([]);
  });

  test('`version: 1` alone is the empty policy', () => {
    expect(parsePolicyText('version: 1\n').policy).toEqual({ users: [], robots: [], rules: [], catalog: [] });
  });

  test('rules naming unknown accounts are warnings, not errors', () => {
    const { warnings } = parsePolicy({ rules: [{ repositories: ['a'], principals: ['robot:gone', 'authenticated'], actions: ['push'] }], catalog: ['user:nobody'] });
    expect(warnings).toEqual([
      'rules[0] names robot:gone, which this policy does not define',
      'catalog names user:nobody, which this policy does not define',
    ]);
  });
});

describe('parsePolicy refuses, naming the field', () => {
  test.each([
    ['', '(document)'],
    ['users: [', '(document)'],
    ['version: 2', 'version'],
    ['rule: []', '(root).rule'],
    ['users: [{ name: alice, passwordHash: plain }]', 'users[0].passwordHash'],
    ['users: [{ name: "al ice", passwordHash: "' + SCRYPT + '" }]', 'users[0].name'],
    ['users: [{ name: alice, password: x }]', 'users[0].password'],
    [`robots: [{ name: ${'r'.repeat(256)}, secrets: [{ hash: ${HASH} }] }]`, 'robots[0].name'],
    ['htpasswd: "carol:{SHA}abc="', 'htpasswd line 1'],
    ['htpasswd: "carol:$apr1$x$y"', 'htpasswd line 1'],
    ['robots: [{ name: ci, secrets: [] }]', 'robots[0].secrets'],
    ['robots: [{ name: ci, secrets: [{ hash: "md5:abc" }] }]', 'robots[0].secrets[0].hash'],
    [`robots: [{ name: ci, secrets: [{ hash: ${HASH} }], expires: tomorrow }]`, 'robots[0].expires'],
    ['rules: [{ repositories: [], principals: [everyone], actions: [pull] }]', 'rules[0].repositories'],
    ['rules: [{ repositories: ["Team/App"], principals: [everyone], actions: [pull] }]', 'rules[0].repositories[0]'],
    ['rules: [{ repositories: ["team/a**"], principals: [everyone], actions: [pull] }]', 'rules[0].repositories[0]'],
    ['rules: [{ repositories: [a], principals: [admins], actions: [pull] }]', 'rules[0].principals[0]'],
    ['rules: [{ repositories: [a], principals: [alice], actions: [pull] }]', 'rules[0].principals[0]'],
    ['rules: [{ repositories: [a], principals: [user:alice], actions: [read] }]', 'rules[0].actions[0]'],
    ['rules: [{ repositories: [a], principals: [everyone], actions: [pull, push] }]', 'rules[0].actions'],
    ['rules: [{ repositories: [a], principals: [everyone], actions: ["*"] }]', 'rules[0].actions'],
    ['catalog: [root]', 'catalog[0]'],
    [`users: [{ name: ci, passwordHash: "${SCRYPT}" }]\nrobots: [{ name: ci, secrets: [{ hash: ${HASH} }] }]`, 'users/robots'],
  ])('%j → %s', (text, field) => {
    let error: unknown;
    try {
      parsePolicyText(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).field).toBe(field);
  });
});

test('renderPolicy round-trips through parsePolicyText', () => {
  const { policy } = parsePolicyText(`
users: [{ name: alice, passwordHash: "${SCRYPT}", description: the admin }]
robots: [{ name: ci, secrets: [{ hash: ${HASH}, expires: 2030-01-01T00:00:00Z }] }]
rules: [{ repositories: [team/**], principals: [user:alice, robot:ci], actions: [pull, push], description: "from Repository team/app" }]
catalog: [authenticated]
`);
  const text = renderPolicy(policy, 'rendered by a test\nsecond line');
  expect(text.startsWith('# rendered by a test\n# second line\n')).toBe(true);
  expect(parsePolicyText(text).policy).toEqual(policy);
});

describe('indexPolicy', () => {
  const { policy } = parsePolicyText(`
users: [{ name: alice, passwordHash: "${SCRYPT}" }, { name: bob, passwordHash: "${BCRYPT}" }]
robots: [{ name: ci, secrets: [{ hash: ${HASH} }], expires: 2001-01-01T00:00:00Z }]
rules:
  - { repositories: [team/**], principals: [user:alice], actions: [pull, push] }
  - { repositories: [team/app], principals: [user:alice], actions: [delete] }
  - { repositories: [team/app], principals: [robot:ci], actions: [pull] }
  - { repositories: [shared/*], principals: [authenticated], actions: [pull] }
  - { repositories: [public/**], principals: [everyone], actions: [pull] }
catalog: [user:alice]
`);
  const index = indexPolicy(policy);
  const alice = { kind: 'user', name: 'alice' } as const;
  const bob = { kind: 'user', name: 'bob' } as const;
  const ci = { kind: 'robot', name: 'ci' } as const;

  test.each([
    [alice, 'team/app', ['pull', 'push', 'delete']],
    [alice, 'team/other', ['pull', 'push']],
    [alice, 'public/x', ['pull']],
    [alice, 'shared/x', ['pull']],
    [bob, 'team/app', []],
    [bob, 'shared/x', ['pull']],
    [bob, 'public/x/y', ['pull']],
    [ci, 'team/app', ['pull']],
    [ci, 'team/other', []],
    [ANONYMOUS, 'public/x', ['pull']],
    [ANONYMOUS, 'shared/x', []],
    [ANONYMOUS, 'team/app', []],
    [alice, 'team/App', []],
    [alice, 'team/*', []],
    [alice, '../team/app', []],
  ])('%j on %s → %j', (principal, repo, actions) => {
    expect(index.actionsFor(principal, repo)).toEqual(actions);
    expect(index.actionsFor(principal, repo)).toEqual(actions); // memoised answer is the same
  });

  test('catalog access and account look-up', () => {
    expect(index.mayListCatalog(alice)).toBe(true);
    expect(index.mayListCatalog(bob)).toBe(false);
    expect(index.mayListCatalog(ANONYMOUS)).toBe(false);
    expect(index.account('alice')?.kind).toBe('user');
    expect(index.account('nobody')).toBeUndefined();
    expect(isAccountActive(index.account('ci'), Date.now())).toBe(false);
    expect(isAccountActive(index.account('ci'), Date.parse('2000-12-31T00:00:00Z'))).toBe(true);
  });
});

describe('robot secrets', () => {
  test('generated secrets are long, distinct, and match only their own hash', () => {
    const a = generateRobotSecret();
    const b = generateRobotSecret();
    expect(a).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(robotSecretMatches(a, hashRobotSecret(a))).toBe(true);
    expect(robotSecretMatches(b, hashRobotSecret(a))).toBe(false);
  });

  test('a short secret never matches, even its own hash', () => {
    expect(robotSecretMatches('short', hashRobotSecret('short'))).toBe(false);
  });
});
