import type { KubeObject } from '../../../src/kube/objects.js';
import { registryKeyOfChild } from '../../../src/operator/registry/controller.js';
import {
  AUTH_DELEGATOR_ROLE,
  authDelegationName,
  buildAuthDelegation,
  unwantedDelegations,
} from '../../../src/operator/registry/build-auth-delegation.js';
import { planRegistry, type RegistryPlan } from '../../../src/operator/registry/plan.js';
import type { Registry } from '../../../src/operator/registry/types.js';
import { registry } from './registry-fixture.js';

function plan(spec: Registry['spec']): RegistryPlan {
  const r = planRegistry(registry(spec), { defaultImage: 'berth:1' });
  if (!r.ok) throw new Error(r.message);
  return r.plan;
}

describe('the auth-delegator binding of a Registry', () => {
  test('only while spec.auth.kubernetes.enabled, applied before the Deployment', () => {
    const on = plan({ auth: { kubernetes: { enabled: true } } });
    const kinds = on.apply.map((a) => a.object.kind);
    expect(kinds.indexOf('ClusterRoleBinding')).toBeGreaterThan(-1);
    expect(kinds.indexOf('ClusterRoleBinding')).toBeLessThan(kinds.indexOf('Deployment'));
    expect(on.authDelegation).toBe('berth-auth-delegator.team.reg');
    for (const spec of [{}, { auth: { kubernetes: { enabled: false } } }] as Array<Registry['spec']>) {
      const off = plan(spec);
      expect(off.apply.some((a) => a.object.kind === 'ClusterRoleBinding')).toBe(false);
      expect(off.authDelegation).toBeUndefined();
    }
  });

  test("binds the pods' ServiceAccount, and only it, to the auth-delegator ClusterRole; labelled, no owner reference", () => {
    const b = buildAuthDelegation(registry({}, 'reg', 'team'));
    expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AUTH_DELEGATOR_ROLE });
    expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'reg-registry', namespace: 'team' }]);
    expect(b.metadata.namespace).toBeUndefined();
    expect(b.metadata.ownerReferences).toBeUndefined();
    expect(b.metadata.labels).toMatchObject({ 'berth.dev/registry': 'reg', 'berth.dev/registry-namespace': 'team', 'app.kubernetes.io/managed-by': 'berth-operator' });
  });

  test.each([
    ['a-b', 'c', 'a', 'b-c'],
    ['a', 'b.c', 'a-b', 'c'],
  ])('%s/%s and %s/%s get different names', (ns1, n1, ns2, n2) => {
    expect(authDelegationName(ns1, n1)).not.toBe(authDelegationName(ns2, n2));
  });

  test('a name within 253 characters for the longest names', () => {
    expect(authDelegationName('n'.repeat(63), 'r'.repeat(253)).length).toBeLessThanOrEqual(253);
  });

  const ours = buildAuthDelegation(registry({}, 'reg', 'team'));
  const other = buildAuthDelegation(registry({}, 'reg', 'team-b'));
  const foreignRole: KubeObject = { ...ours, metadata: { ...ours.metadata, name: 'hand-made' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } } as KubeObject;
  const unlabelled: KubeObject = { ...ours, metadata: { name: 'unlabelled' } } as KubeObject;
  const stale: KubeObject = { ...ours, metadata: { ...ours.metadata, name: 'old-name' } } as KubeObject;
  test.each<[string, string | undefined, string[]]>([
    ['wanted: only other names of this Registry go', ours.metadata.name, ['old-name']],
    ['disabled or gone: all of this Registry go', undefined, [ours.metadata.name, 'old-name']],
  ])('%s', (_what, wanted, deleted) => {
    const all = [ours, other, foreignRole, unlabelled, stale];
    expect(unwantedDelegations(all, 'team', 'reg', wanted).map((b) => b.metadata.name)).toEqual(deleted);
  });

  test.each<[string, string | undefined, string | undefined]>([
    ['any namespace watched', undefined, 'team/reg'],
    ['its namespace watched', 'team', 'team/reg'],
    ['another namespace watched', 'other', undefined],
  ])('the binding wakes its Registry: %s', (_what, watched, key) => {
    expect(registryKeyOfChild(ours, watched)).toBe(key);
  });
});
