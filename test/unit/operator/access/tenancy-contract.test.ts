/**
 * Issue 9, the operator side of the tenancy contract (pure parts): consent for cross-namespace delivery, who names
 * a namespace's pull Secret, ownership proofs, and per-Repository isolation of the policy.
 */
import { consents, pullSecretGrantsOf, type PullSecretGrant } from '../../../../src/operator/access/consent.js';
import { ownerProof, provesOwnership, withOwnerProof } from '../../../../src/operator/access/ownership.js';
import { planAccess } from '../../../../src/operator/access/plan.js';
import { accessProblem } from '../../../../src/operator/access/policy-isolation.js';
import { emptyStore } from '../../../../src/operator/access/store.js';
import { repositorySpec } from '../../../../src/operator/access/types.js';
import { parsePolicyText } from '../../../../src/shared/policy-parse.js';
import { indexPolicy } from '../../../../src/shared/policy-match.js';
import { minter, namespace, registry, repository, T0 } from './fixtures.js';

const ns = (name: string, acceptFrom?: string) => namespace(name, {}, 'Active', acceptFrom === undefined ? undefined : { 'berth.dev/accept-from': acceptFrom });

describe('consent', () => {
  const grants: PullSecretGrant[] = [{ namespaces: ['platform'], targetNamespaces: ['*'] }, { namespaces: ['*'], targetNamespaces: ['shared'] }];
  test.each<[string, string, ReturnType<typeof ns>, boolean]>([
    ['its own namespace', 'team-a', ns('team-a'), true],
    ['another namespace, no consent', 'team-a', ns('team-b'), false],
    ['kube-system, no consent', 'team-a', ns('kube-system'), false],
    ['annotation names the source', 'team-a', ns('team-b', 'team-c, team-a'), true],
    ['annotation names someone else', 'team-a', ns('team-b', 'team-c'), false],
    ['annotation accepts everyone', 'team-a', ns('team-b', '*'), true],
    ['a label with the same key is not consent', 'team-a', namespace('team-b', { 'berth.dev/accept-from': 'team-a' }), false],
    ['Registry grant: platform may deliver everywhere', 'platform', ns('kube-system'), true],
    ['Registry grant: everyone may deliver into shared', 'team-a', ns('shared'), true],
  ])('%s', (_name, source, target, expected) => {
    expect(consents(grants, source, target)).toBe(expected);
  });

  test('grants are read from spec.tenancy.pullSecretGrants', () => {
    const r = registry({ tenancy: { pullSecretGrants: [{ namespaces: ['a'], targetNamespaces: ['b'] }] } } as never);
    expect(pullSecretGrantsOf(r)).toEqual([{ namespaces: ['a'], targetNamespaces: ['b'] }]);
  });
});

describe('ownership proof', () => {
  const owner = { markerKey: 'k'.repeat(32), registryUid: 'uid-1' };
  const secret = withOwnerProof({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'reg-pull', namespace: 'team-b' } }, owner);
  test.each<[string, Parameters<typeof provesOwnership>[0], Parameters<typeof provesOwnership>[1], boolean]>([
    ['our Secret', secret, owner, true],
    ['another Registry (other uid)', secret, { ...owner, registryUid: 'uid-2' }, false],
    ['another key', secret, { ...owner, markerKey: 'x'.repeat(32) }, false],
    ['the proof copied to another name', { ...secret, metadata: { ...secret.metadata, name: 'other' } }, owner, false],
    ['the proof copied to another namespace', { ...secret, metadata: { ...secret.metadata, namespace: 'team-c' } }, owner, false],
    ['no proof (labelled by hand)', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'reg-pull', namespace: 'team-b' } }, owner, false],
    ['no key known', secret, undefined, false],
  ])('%s', (_name, s, o, expected) => {
    expect(provesOwnership(s, o)).toBe(expected);
  });
  test('the proof depends on every input', () => {
    expect(new Set([ownerProof(owner, 'a', 'b'), ownerProof(owner, 'a', 'c'), ownerProof(owner, 'b', 'b')]).size).toBe(3);
  });
});

describe('accessProblem', () => {
  const spec = (access: object[], path = 'team-a/api') => repositorySpec(repository('team-a', 'api', { path, access }));
  test.each<[string, ReturnType<typeof spec>, RegExp | undefined]>([
    ['valid', spec([{ users: ['alice'], robots: ['ci'], actions: ['pull', 'push'] }]), undefined],
    ['a user name with a space', spec([{ users: ['evil user'], actions: ['pull'] }]), /spec.access\[0\].users: "evil user" is not an account name/],
    ['a robot name with a colon', spec([{ robots: ['a:b'], actions: ['pull'] }]), /robots: "a:b"/],
    ['an unknown action', spec([{ users: ['alice'], actions: ['admin'] }]), /actions: "admin" is not one of pull, push, delete/],
    ['a bad path', spec([], 'Team-A'), /spec.path "Team-A" is not a repository name/],
  ])('%s', (_name, s, problem) => {
    const got = accessProblem(s);
    if (problem) expect(got).toMatch(problem);
    else expect(got).toBeUndefined();
  });
});

describe('planAccess under the tenancy contract', () => {
  const namespaces = [ns('team-a'), ns('team-b', 'team-a'), ns('kube-system'), ns('team-c')];
  const base = { registry: registry(), namespaces, store: emptyStore(), livePolicy: undefined, now: T0, mint: minter(), propagationDelayMs: 2000 };

  test('a selection of every namespace reaches only those that consent; the rest are refused', () => {
    const all = repository('team-a', 'all', { path: 'team-a/all', pullSecret: { namespaces: ['kube-system'], namespaceSelector: {} } });
    const plan = planAccess({ ...base, repositories: [all] });
    expect(plan.pullSecrets.map((p) => p.namespace)).toEqual(['team-a', 'team-b']);
    expect(plan.accepted[0]!.selection.refused).toEqual(['kube-system', 'team-c']);
  });

  test("a Repository elsewhere cannot rename a namespace's pull Secret; the namespace's own Repository can", () => {
    const own = repository('team-b', 'own', { path: 'team-b/own', pullSecret: { namespaces: ['team-b'], secretName: 'mine' } }, '2030-01-03T00:00:00Z');
    const other = repository('team-a', 'other', { path: 'team-a/other', pullSecret: { namespaces: ['team-b'], secretName: 'hijack' } }, '2030-01-01T00:00:00Z');
    const names = (repos: ReturnType<typeof repository>[]) => planAccess({ ...base, repositories: repos }).pullSecrets.map((p) => `${p.namespace}/${p.name}`);
    expect(names([other])).toEqual(['team-b/reg-pull']);
    expect(names([other, own])).toEqual(['team-b/mine']);
  });

  test('an invalid user name refuses its Repository alone; the others stay in the policy', () => {
    const bad = repository('team-a', 'bad', { path: 'team-a/bad', access: [{ users: ['evil user'], actions: ['pull'] }] });
    const good = repository('team-a', 'good', { path: 'team-a/good', access: [{ robots: ['ci'], actions: ['pull'] }] });
    const plan = planAccess({ ...base, repositories: [bad, good] });
    expect(plan.admissions.get('team-a/bad')).toMatchObject({ accepted: false, reason: 'InvalidAccess' });
    expect(plan.admissions.get('team-a/good')).toEqual({ accepted: true });
    const index = indexPolicy(parsePolicyText(plan.policyYaml).policy);
    expect(index.actionsFor({ kind: 'robot', name: 'ci' }, 'team-a/good')).toEqual(['pull']);
    expect(plan.policyYaml).not.toContain('evil');
  });

  test('every Secret planned carries an ownership proof for this Registry', () => {
    const r = repository('team-a', 'r', { path: 'team-a/r', pullSecret: { namespaces: ['team-a'] }, pushCredentials: { enabled: true } });
    const live = planAccess({ ...base, repositories: [r] });
    const owner = { markerKey: live.credentials.store.markerKey!, registryUid: base.registry.metadata.uid! };
    const later = planAccess({ ...base, repositories: [r], store: live.credentials.store, livePolicy: live.policyYaml, now: T0 + 60_000 });
    const objects = [...later.pullSecrets, ...later.pushSecrets].map((p) => p.object!);
    expect(objects).toHaveLength(2);
    for (const o of objects) expect(provesOwnership(o, owner)).toBe(true);
  });
});
