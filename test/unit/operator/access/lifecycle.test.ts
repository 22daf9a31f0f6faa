import { describe, expect, it } from '@jest/globals';
import { lifecycleEntry, policyLifecycle } from '../../../../src/operator/access/lifecycle.js';
import { accessProblem } from '../../../../src/operator/access/policy-isolation.js';
import { resolveRepositorySpec, type RepositorySpecInput } from '../../../../src/shared/schemas/repository.js';
import { parsePolicyText } from '../../../../src/shared/policy-parse.js';
import { renderPolicy } from '../../../../src/shared/policy-render.js';
import { emptyPolicy } from '../../../../src/shared/policy.js';

const spec = (extra: Partial<RepositorySpecInput>) =>
  resolveRepositorySpec({ registryRef: { name: 'registry' }, path: 'team-a/api', ...extra }, 'team-a');

describe('the lifecycle section rendered from a Repository', () => {
  it.each([
    ['nothing asked, no entry', {}, undefined],
    ['immutable tags', { immutableTags: ['v*'] }, { repository: 'team-a/api', immutableTags: ['v*'], description: 'Repository team-a/api' }],
    ['a quantity quota in bytes', { quota: { size: '1Gi' } }, { repository: 'team-a/api', quotaBytes: 2 ** 30, description: 'Repository team-a/api' }],
    ['a byte count quota', { quota: { size: 5000 } }, { repository: 'team-a/api', quotaBytes: 5000, description: 'Repository team-a/api' }],
    [
      'retention',
      { retention: { keepLast: 3, olderThan: '720h', keepTags: ['latest'], dryRun: true } },
      { repository: 'team-a/api', retention: { keepLast: 3, olderThan: '720h', keepTags: ['latest'], dryRun: true }, description: 'Repository team-a/api' },
    ],
  ])('%s', (_name, extra, expected) => {
    expect(lifecycleEntry({ key: 'team-a/api', spec: spec(extra as Partial<RepositorySpecInput>) })).toEqual(expected);
  });

  it('sorts entries by path, and the policy parser reads back what the operator renders', () => {
    const entries = policyLifecycle([
      { key: 'b/b', spec: { ...spec({ immutableTags: ['v*'] }), path: 'team-b/x' } },
      { key: 'a/a', spec: spec({ quota: { size: '10Mi' } }) },
    ]);
    expect(entries.map((e) => e.repository)).toEqual(['team-a/api', 'team-b/x']);
    const text = renderPolicy({ ...emptyPolicy(), lifecycle: entries });
    expect(parsePolicyText(text).policy.lifecycle).toEqual(entries);
  });

  it.each([
    ['a bad immutable pattern', { immutableTags: ['v/1'] }, /lifecycle/],
    ['a bad keepTags pattern', { retention: { keepLast: 1, keepTags: ['a b'] } }, /lifecycle/],
    ['a quota that is not a quantity', { quota: { size: '10 gigs' } }, /spec.quota.size/],
    ['a bad duration', { retention: { olderThan: 'soon' } }, /lifecycle/],
  ])('%s (the CRD refuses it; the operator refuses it too, for this Repository alone)', (_name, extra, problem) => {
    expect(accessProblem(spec(extra as Partial<RepositorySpecInput>))).toMatch(problem);
  });

  it('refuses a policy with two entries for one repository', () => {
    expect(() => parsePolicyText('version: 1\nlifecycle:\n  - repository: a\n  - repository: a\n')).toThrow(/lifecycle\[1\]\.repository/);
  });
});
