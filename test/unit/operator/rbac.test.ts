import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RESOURCES } from '../../../src/kube/resources.js';
import { informerKey } from '../../../src/kube/informer-factory.js';
import { CHILD_RESOURCES, PERMISSIONS, verbsOf, watchScope } from '../../../src/operator/rbac.js';
import { renderRbacFiles } from '../../../src/operator/rbac-yaml.js';
import { REPO_ROOT } from '../../helpers/berth-process.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('deploy/rbac is generated from src/operator/rbac.ts', () => {
  test.each([...renderRbacFiles()])('%s is what npm run generate:rbac writes', (file, text) => {
    expect(readFileSync(join(REPO_ROOT, 'deploy', 'rbac', file), 'utf8')).toBe(text);
  });

  test('the ClusterRoles grant what each controller uses, and only the Ingress, PodDisruptionBudget, CA ConfigMap, auth-delegator binding and Secret deletes', () => {
    const rules = (file: string): Obj[] => (parseAllDocuments(renderRbacFiles().get(file)!)[0]!.toJS() as Obj).rules;
    const deletes = [...rules('20-cluster-role.yaml'), ...rules('21-cluster-role-repositories.yaml')]
      .filter((r) => r.verbs.includes('delete'))
      .flatMap((r) => r.resources);
    expect(deletes.sort()).toEqual(['clusterrolebindings', 'configmaps', 'ingresses', 'poddisruptionbudgets', 'secrets']);
    expect(rules('20-cluster-role.yaml')).toContainEqual({ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] });
  });
});

describe('one list', () => {
  test('the children of a Registry, in order', () => {
    expect(CHILD_RESOURCES.map((r) => r.plural)).toEqual(['secrets', 'configmaps', 'persistentvolumeclaims', 'services', 'serviceaccounts', 'roles', 'rolebindings', 'deployments', 'poddisruptionbudgets', 'ingresses', 'clusterrolebindings']);
  });

  test('a watched resource has get, list and watch; at most one watch per resource', () => {
    const watched = PERMISSIONS.filter((p) => p.watch);
    expect(new Set(watched.map((p) => p.resource.plural)).size).toBe(watched.length);
    for (const p of watched) expect(verbsOf(p).slice(0, 3)).toEqual(['get', 'list', 'watch']);
  });

  test.each<[string, string | undefined, string]>([
    ['registries', 'team', 'registries.berth.dev|team||'],
    ['namespaces', 'team', 'namespaces.|||'],
    ['secrets', 'team', 'secrets.||app.kubernetes.io/managed-by=berth-operator|'],
    ['deployments', undefined, 'deployments.apps||app.kubernetes.io/managed-by=berth-operator,berth.dev/registry|'],
  ])('%s with --namespace %s is watched as %s', (plural, ns, key) => {
    const rt = Object.values(RESOURCES).find((r) => r.plural === plural)!;
    expect(informerKey(rt, watchScope(rt, ns))).toBe(key);
  });

  test('a resource nobody watches has no informer', () => {
    expect(() => watchScope(RESOURCES.event, undefined)).toThrow('events is not watched');
  });
});
