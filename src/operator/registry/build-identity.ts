/**
 * The identity a Registry's pods read their access policy with (pure builders): a ServiceAccount, and a Role that
 * allows `get`, `list` and `watch` on exactly one Secret, the policy Secret, bound to it. The registry watches
 * that Secret through the API, so a policy the access controller writes applies within a second, and the pods can
 * read nothing else (not even the Registry's signing key, which they get as a mounted file). The same Role lets
 * them `get` and `patch` exactly one ConfigMap, the report ConfigMap (build-report.ts), and nothing else: they can
 * neither create nor delete it.
 */
import type { KubeObject } from '../../kube/objects.js';
import { RESOURCES, type ResourceType } from '../../kube/resources.js';
import { boundedObjectName, childLabels, ownerReference } from './naming.js';
import type { Registry } from './types.js';

/** The ServiceAccount of a Registry's pods (also the name of its policy-reader Role and RoleBinding's subject). */
export function registryServiceAccountName(registryName: string): string {
  return boundedObjectName(registryName, '-registry');
}

/** The name of the Role and RoleBinding that let the pods read the policy Secret. */
export function policyReaderName(registryName: string): string {
  return boundedObjectName(registryName, '-policy-reader');
}

function meta(registry: Registry, name: string): KubeObject['metadata'] {
  return {
    name,
    namespace: registry.metadata.namespace,
    labels: childLabels(registry.metadata.name, 'policy-reader'),
    ownerReferences: [ownerReference(registry)],
  };
}

/** ServiceAccount, Role and RoleBinding, in the order to apply them (all before the Deployment that uses them). */
export function buildIdentity(
  registry: Registry,
  policySecretName: string,
  reportConfigMapName: string,
): Array<{ resource: ResourceType; object: KubeObject }> {
  const name = registry.metadata.name;
  const sa = registryServiceAccountName(name);
  const reader = policyReaderName(name);
  return [
    { resource: RESOURCES.serviceAccount, object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(registry, sa) } },
    {
      resource: RESOURCES.role,
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta(registry, reader),
        rules: [
          { apiGroups: [''], resources: ['secrets'], resourceNames: [policySecretName], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['configmaps'], resourceNames: [reportConfigMapName], verbs: ['get', 'patch'] },
        ],
      },
    },
    {
      resource: RESOURCES.roleBinding,
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta(registry, reader),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: reader },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: registry.metadata.namespace }],
      },
    },
  ];
}
