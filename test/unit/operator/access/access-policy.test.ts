import { buildAccessPolicy, publishedHashes, renderAccessPolicy } from '../../../../src/operator/access/access-policy.js';
import { wantedRobots, type AcceptedRepository } from '../../../../src/operator/access/robots.js';
import { planCredentials } from '../../../../src/operator/access/rotation.js';
import { emptyStore } from '../../../../src/operator/access/store.js';
import { repositorySpec } from '../../../../src/operator/access/types.js';
import { indexPolicy, type Principal } from '../../../../src/shared/policy-match.js';
import { parsePolicyText } from '../../../../src/shared/policy-parse.js';
import { hashRobotSecret } from '../../../../src/shared/policy-secrets.js';
import { minter, repository, T0 } from './fixtures.js';

function accepted(ns: string, name: string, spec: Record<string, unknown>, selected: string[]): AcceptedRepository {
  const repo = repository(ns, name, spec);
  return { repo, key: `${ns}/${name}`, spec: repositorySpec(repo), selection: { selected, missing: [], refused: [] } };
}

const repos = [
  accepted('team-a', 'api', { path: 'team-a/api', pushCredentials: { enabled: true } }, ['team-a', 'prod']),
  accepted('team-a', 'web', { path: 'team-a/web', access: [{ users: ['alice'], robots: ['ci'], actions: ['pull', 'push'] }] }, ['team-a', 'prod']),
  accepted('team-b', 'tool', { path: 'team-b/tool', visibility: 'Public' }, ['team-b']),
];
const wanted = wantedRobots(repos);
const credentials = planCredentials({ store: emptyStore(), wanted, requests: [], now: T0, mint: minter() });
const policy = buildAccessPolicy(repos, wanted, credentials.store.robots);
const index = indexPolicy(parsePolicyText(renderAccessPolicy(policy)).policy);

const robot = (name: string): Principal => ({ kind: 'robot', name });

describe('the rendered access policy', () => {
  test('is a valid policy document that reads back to the same policy', () => {
    expect(parsePolicyText(renderAccessPolicy(policy)).policy).toEqual(policy);
  });

  test.each<[string, Principal, string, string[]]>([
    ['a pull robot pulls what selected its namespace', robot('pull.prod'), 'team-a/api', ['pull']],
    ['… and the other Repository that selected it', robot('pull.prod'), 'team-a/web', ['pull']],
    ['… but not a Repository that did not select it', robot('pull.team-b'), 'team-a/api', []],
    ['a public repository: any caller pulls, no more', robot('pull.prod'), 'team-b/tool', ['pull']],
    ['a pull robot never pushes', robot('pull.team-a'), 'team-a/api', ['pull']],
    ['the push robot pulls and pushes its one repository', robot('push.team-a.api'), 'team-a/api', ['pull', 'push']],
    ['the push robot has nothing on another', robot('push.team-a.api'), 'team-a/web', []],
    ['spec.access users', { kind: 'user', name: 'alice' }, 'team-a/web', ['pull', 'push']],
    ['spec.access robots', robot('ci'), 'team-a/web', ['pull', 'push']],
    ['anonymous pulls a public repository', { kind: 'anonymous' }, 'team-b/tool', ['pull']],
    ['anonymous has nothing on a private one', { kind: 'anonymous' }, 'team-a/api', []],
    ['nothing on paths no Repository declares', robot('pull.team-a'), 'team-a/other', []],
  ])('%s', (_name, principal, repo, actions) => {
    expect(index.actionsFor(principal, repo)).toEqual(actions);
  });

  test('namespaces that selected the same repositories share one rule', () => {
    const pullRules = policy.rules.filter((r) => r.principals.some((p) => p.startsWith('robot:pull.')));
    expect(pullRules.map((r) => [r.repositories, r.principals])).toEqual([
      [['team-a/api', 'team-a/web'], ['robot:pull.prod', 'robot:pull.team-a']],
      [['team-b/tool'], ['robot:pull.team-b']],
    ]);
  });

  test('a replaced secret is listed with its end of overlap; publishedHashes reads both back', () => {
    const rotated = planCredentials({
      store: credentials.store,
      wanted,
      requests: [],
      now: T0 + 1000,
      mint: () => 'berth_new-secret-000000000000000000000000000000000',
    });
    const withOld = buildAccessPolicy(repos, wanted, { 'pull.prod': { ...rotated.store.robots['pull.prod']!, previous: [{ ...credentials.store.robots['pull.prod']!.current, retiresAt: '2030-06-01T12:10:00.000Z' }] } });
    const prod = withOld.robots.find((r) => r.name === 'pull.prod')!;
    expect(prod.secrets).toEqual([
      { hash: hashRobotSecret(rotated.store.robots['pull.prod']!.current.secret) },
      { hash: hashRobotSecret(credentials.store.robots['pull.prod']!.current.secret), expires: '2030-06-01T12:10:00.000Z' },
    ]);
    expect(publishedHashes(renderAccessPolicy(withOld))).toEqual(new Set(prod.secrets.map((s) => s.hash)));
    expect(publishedHashes('not: [a policy')).toEqual(new Set());
  });
});
