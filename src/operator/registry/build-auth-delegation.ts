/**
 * The auth-delegator grant of a Registry's pods (pure): while `spec.auth.kubernetes.enabled`, a ClusterRoleBinding
 * of the pods' ServiceAccount to {@link AUTH_DELEGATOR_ROLE} (`create` on tokenreviews and subjectaccessreviews,
 * shipped in deploy/rbac/40-repository-roles.yaml and the chart), so the registry can check Kubernetes tokens.
 *
 * A ClusterRoleBinding is cluster-scoped and cannot carry an owner reference to a namespaced Registry, so the
 * garbage collector cannot remove it. Instead it is labelled with its Registry (name and namespace), and the
 * Registry controller deletes it, level-based, whenever a reconcile finds it unwanted: the Registry disabled it,
 * or the Registry is gone (the binding's informer wakes that key, also for bindings left while the operator was
 * down). No finalizer: a Registry is never stuck in deletion because the operator is not running.
 */
import type { KubeObject } from '../../kube/objects.js';
import { registryServiceAccountName } from './build-identity.js';
import { boundedObjectName, childLabels, LABELS, MANAGED_BY } from './naming.js';
import type { Registry } from './types.js';

/** The ClusterRole the binding refers to (and the only one the operator may bind). */
export const AUTH_DELEGATOR_ROLE = 'berth-registry-auth-delegator';

/** On a cluster-scoped child: the namespace of its Registry. */
export const REGISTRY_NAMESPACE_LABEL = 'berth.dev/registry-namespace';

/**
 * The binding's name: `berth-auth-delegator.<namespace>.<registry>`. A namespace name has no dots, so two
 * Registries can never share one (a dash would: `a-b`/`c` and `a`/`b-c`).
 */
export function authDelegationName(namespace: string, registryName: string): string {
  return boundedObjectName(`berth-auth-delegator.${namespace}.${registryName}`, '');
}

export interface AuthDelegatorBinding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: Array<{ kind: string; name: string; namespace: string }>;
}

export function buildAuthDelegation(registry: Registry): AuthDelegatorBinding {
  const namespace = registry.metadata.namespace ?? 'default';
  const name = registry.metadata.name;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {
      name: authDelegationName(namespace, name),
      labels: { ...childLabels(name, 'auth-delegator'), [REGISTRY_NAMESPACE_LABEL]: namespace },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AUTH_DELEGATOR_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: registryServiceAccountName(name), namespace }],
  };
}

/** Whether `obj` is a binding this operator made for the Registry `namespace/name` (only those are ever deleted). */
export function isAuthDelegationOf(obj: KubeObject, namespace: string, name: string): boolean {
  const l = obj.metadata.labels ?? {};
  const roleRef = (obj as Partial<AuthDelegatorBinding>).roleRef;
  return (
    l[LABELS.managedBy] === MANAGED_BY &&
    l[LABELS.registry] === name &&
    l[REGISTRY_NAMESPACE_LABEL] === namespace &&
    roleRef?.kind === 'ClusterRole' &&
    roleRef.name === AUTH_DELEGATOR_ROLE
  );
}

/** The bindings among `bindings` to delete for the Registry `namespace/name`: all of its bindings but `wanted`. */
export function unwantedDelegations(bindings: readonly KubeObject[], namespace: string, name: string, wanted: string | undefined): KubeObject[] {
  return bindings.filter((b) => isAuthDelegationOf(b, namespace, name) && b.metadata.name !== wanted);
}
