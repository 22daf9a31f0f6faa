import { namespaceChanged, registryKeyOfSecret, repositoryChanged } from '../../../../src/operator/access/controller.js';
import { buildIdentity } from '../../../../src/operator/registry/build-identity.js';
import { samePolicy } from '../../../../src/operator/access/reconcile.js';
import { renderAccessPolicy } from '../../../../src/operator/access/access-policy.js';
import type { KubeObject } from '../../../../src/kube/objects.js';
import { emptyPolicy } from '../../../../src/shared/policy.js';
import { renderPolicy } from '../../../../src/shared/policy-render.js';
import { policyTextOf } from '../../../../src/registry/auth/policy-source-k8s.js';
import { namespace, registry, repository } from './fixtures.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('which events wake a Registry', () => {
  const repo = repository('team-a', 'api', { path: 'team-a/api' });
  test.each<[string, Partial<KubeObject['metadata']>, object | undefined, boolean]>([
    ['our own status write', {}, { conditions: [] }, false],
    ['a resourceVersion bump', { resourceVersion: '999' }, undefined, false],
    ['a spec change (generation)', { generation: 2 }, undefined, true],
    ['a rotate annotation', { annotations: { 'berth.dev/rotate': '1' } }, undefined, true],
    ['deletion started', { deletionTimestamp: '2030-01-01T00:00:00Z' }, undefined, true],
    ['a finalizer change', { finalizers: ['berth.dev/credentials'] }, undefined, true],
  ])('Repository: %s', (_name, meta, status, wakes) => {
    const next = { ...repo, metadata: { ...repo.metadata, ...meta }, ...(status ? { status } : {}) };
    expect(repositoryChanged(repo, next)).toBe(wakes);
  });

  test.each<[string, ReturnType<typeof namespace>, boolean]>([
    ['labels changed', namespace('a', { pull: 'yes' }), true],
    ['now terminating', namespace('a', {}, 'Terminating'), true],
    ['consent given (berth.dev/accept-from)', namespace('a', {}, 'Active', { 'berth.dev/accept-from': 'team-a' }), true],
    ['another annotation', namespace('a', {}, 'Active', { note: 'x' }), false],
    ['nothing that matters', { ...namespace('a'), metadata: { ...namespace('a').metadata, resourceVersion: '7' } }, false],
  ])('Namespace: %s', (_name, next, wakes) => {
    expect(namespaceChanged(namespace('a'), next)).toBe(wakes);
  });

  test.each<[string, Record<string, string>, string | undefined, string | undefined]>([
    ['a pull Secret', { 'berth.dev/source-registry': 'reg', 'berth.dev/source-registry-namespace': 'berth' }, 'team-a', 'berth/reg'],
    ["the Registry's policy Secret", { 'berth.dev/registry': 'reg', 'app.kubernetes.io/component': 'policy' }, 'berth', 'berth/reg'],
    ["the Registry's config Secret", { 'berth.dev/registry': 'reg', 'app.kubernetes.io/component': 'config' }, 'berth', undefined],
    ['an unrelated Secret', {}, 'x', undefined],
  ])('Secret: %s', (_name, labels, ns, key) => {
    expect(registryKeyOfSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: ns, labels } })).toBe(key);
  });
});

describe("the registry pods' identity", () => {
  test('a ServiceAccount, and a Role on exactly the policy Secret and the report ConfigMap bound to it, owned by the Registry', () => {
    const [sa, role, binding] = buildIdentity(registry(), 'reg-policy', 'reg-report').map((x) => x.object as Obj);
    expect(sa!.metadata).toMatchObject({ name: 'reg-registry', namespace: 'berth' });
    expect(role!.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['reg-policy'], verbs: ['get', 'list', 'watch'] },
      // get and patch only: the pods can neither create, list nor delete ConfigMaps
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['reg-report'], verbs: ['get', 'patch'] },
    ]);
    expect(binding!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reg-policy-reader' });
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'reg-registry', namespace: 'berth' }]);
    for (const o of [sa, role, binding]) expect(o!.metadata.ownerReferences[0]).toMatchObject({ kind: 'Registry', name: 'reg', controller: true });
  });
});

describe('samePolicy: the policy is rewritten only when its meaning changes', () => {
  const empty = renderAccessPolicy(emptyPolicy());
  test.each<[string, string | undefined, boolean]>([
    ['the same text', empty, true],
    ["the Registry controller's initial empty policy (another header)", renderPolicy(emptyPolicy(), 'written by someone else'), true],
    ['a rule more', `${empty.replace('rules: []', 'rules:\n  - { repositories: [a], principals: [everyone], actions: [pull] }')}`, false],
    ['not a policy', 'rules: {', false],
    ['absent', undefined, false],
  ])('%s', (_name, live, same) => {
    expect(samePolicy(live, empty)).toBe(same);
  });
});

describe('policyTextOf: the policy in a Secret', () => {
  const ref = { namespace: 'berth', name: 'reg-policy', key: 'policy.yaml' };
  test('decodes the key; a missing key is an error that names Secret and key', () => {
    expect(policyTextOf({ metadata: {}, data: { 'policy.yaml': Buffer.from('version: 1\n').toString('base64') } }, ref)).toBe('version: 1\n');
    expect(() => policyTextOf({ metadata: {}, data: {} }, ref)).toThrow('Secret berth/reg-policy has no key "policy.yaml"');
  });
});
