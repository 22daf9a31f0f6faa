import { admitRepositories } from '../../../../src/operator/access/admission.js';
import { allowedPatterns, pathAllowed, tenancyOf } from '../../../../src/operator/access/tenancy.js';
import { registry, repository } from './fixtures.js';

describe('tenancy', () => {
  const custom = registry({ tenancy: { namespacePaths: false, grants: [{ namespaces: ['platform'], paths: ['library/**', 'base/*'] }, { namespaces: ['*'], paths: ['shared/*'] }] } });

  test.each<[string, Record<string, unknown>, string, string, boolean]>([
    ['own path', {}, 'team-a', 'team-a/api', true],
    ['own name itself', {}, 'team-a', 'team-a', true],
    ['deep own path', {}, 'team-a', 'team-a/tools/lint', true],
    ["another namespace's path", {}, 'team-a', 'team-b/api', false],
    ['a prefix that is not a path component', {}, 'team', 'team-a/api', false],
    ['outside any namespace', {}, 'team-a', 'library/base', false],
    ['granted pattern', custom.spec!, 'platform', 'library/debian/12', true],
    ['granted one-level pattern, one level', custom.spec!, 'platform', 'base/alpine', true],
    ['granted one-level pattern, two levels', custom.spec!, 'platform', 'base/alpine/3', false],
    ['own paths switched off', custom.spec!, 'platform', 'platform/x', false],
    ['grant to every namespace', custom.spec!, 'team-a', 'shared/tools', true],
  ])('%s', (_name, spec, ns, path, allowed) => {
    expect(pathAllowed(tenancyOf(registry(spec)), ns, path)).toBe(allowed);
  });

  test('allowed patterns of a namespace (for the refusal message)', () => {
    expect(allowedPatterns(tenancyOf(custom), 'platform')).toEqual(['library/**', 'base/*', 'shared/*']);
    expect(allowedPatterns(tenancyOf(registry()), 'team-a')).toEqual(['team-a/**']);
  });
});

describe('admitRepositories', () => {
  const admit = (...repos: ReturnType<typeof repository>[]) =>
    Object.fromEntries([...admitRepositories(registry(), repos)].map(([k, a]) => [k, a.accepted ? 'accepted' : `${a.reason}: ${a.message}`]));

  test('a valid path under the own namespace is accepted', () => {
    expect(admit(repository('team-a', 'api', { path: 'team-a/api' }))).toEqual({ 'team-a/api': 'accepted' });
  });

  test.each<[string, string, RegExp]>([
    ['upper case', 'team-a/API', /^InvalidPath: spec.path "team-a\/API" is not a repository name/],
    ['double slash', 'team-a//api', /^InvalidPath/],
    ['trailing separator', 'team-a/api-', /^InvalidPath/],
    ['too long', `team-a/${'a'.repeat(200)}`, /^InvalidPath: .*at most 200 characters/],
    ['another namespace', 'team-b/api', /^PathNotAllowed: namespace team-a may claim only paths matching team-a\/\*\* in Registry berth\/reg/],
  ])('refused: %s', (_name, path, message) => {
    expect(admit(repository('team-a', 'x', { path }))['team-a/x']).toMatch(message);
  });

  test('the older of two Repositories claiming one path wins, whatever the order they come in', () => {
    const older = repository('team-a', 'first', { path: 'team-a/api' }, '2030-01-01T00:00:00Z');
    const newer = repository('team-a', 'second', { path: 'team-a/api' }, '2030-01-02T00:00:00Z');
    for (const order of [[older, newer], [newer, older]]) {
      expect(admit(...order)).toEqual({
        'team-a/first': 'accepted',
        'team-a/second': 'PathConflict: path team-a/api is already claimed by Repository team-a/first',
      });
    }
  });

  test('a Repository being deleted is not in force and does not hold its path', () => {
    const deleting = repository('team-a', 'old', { path: 'team-a/api' }, '2030-01-01T00:00:00Z', { deletionTimestamp: '2030-02-01T00:00:00Z' });
    const next = repository('team-a', 'new', { path: 'team-a/api' }, '2030-01-05T00:00:00Z');
    expect(admit(deleting, next)).toEqual({ 'team-a/old': 'NotAccepted: the Repository is being deleted', 'team-a/new': 'accepted' });
  });

  test('without the Registry, every Repository is refused with its reference', () => {
    const repo = repository('team-a', 'api', { path: 'team-a/api' });
    const [admission] = admitRepositories(undefined, [repo]).values();
    expect(admission).toEqual({ accepted: false, reason: 'RegistryNotFound', message: 'Registry berth/reg (spec.registryRef) does not exist' });
  });
});
