/**
 * Everything the operator does to the Kubernetes API, as one list: each entry is a resource, the verbs one
 * controller uses on it, and why. From it are derived:
 * - the ClusterRoles of `deploy/rbac/20-cluster-role.yaml` (Registry controller) and
 *   `deploy/rbac/21-cluster-role-repositories.yaml` (access controller), and the leader-election Role of
 *   `30-leader-election-role.yaml` (`npm run generate:rbac` writes them and copies them into charts/berth/files/rbac;
 *   a unit test fails when deploy/rbac differs, the chart tests when the copies do);
 * - the informers both controllers share ({@link watchScope}: one per watched resource, its verbs get, list, watch);
 * - {@link CHILD_RESOURCES}, the children the Registry controller applies and watches.
 */
import { RESOURCES, type ResourceType } from '../kube/resources.js';
import type { WatchScope } from '../kube/informer-factory.js';
import { CHILD_SELECTOR, MANAGED_BY, LABELS } from './registry/naming.js';
import { AUTH_DELEGATOR_ROLE } from './registry/build-auth-delegation.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'patch' | 'update' | 'delete' | 'bind';

/** Who a permission is for: the file and object it is rendered into. */
export const RBAC_ROLES = {
  registry: { kind: 'ClusterRole', name: 'berth-operator', file: '20-cluster-role.yaml' },
  access: { kind: 'ClusterRole', name: 'berth-operator-repositories', file: '21-cluster-role-repositories.yaml' },
  leaderElection: { kind: 'Role', name: 'berth-operator-leader-election', file: '30-leader-election-role.yaml' },
} as const;
export type RbacRole = keyof typeof RBAC_ROLES;

/** Where an informer watches: the namespace the operator watches (`--namespace`, or all), or the whole cluster. */
export type Watch = { scope: 'watched' | 'cluster'; labelSelector?: string };

export interface Permission {
  role: RbacRole;
  resource: ResourceType;
  /** `status`, `finalizers`: the permission is on that subresource. */
  subresource?: string;
  /** Limits the rule to these object names. */
  resourceNames?: string[];
  /** Verbs besides those of the watch. */
  verbs: Verb[];
  /** Kept in an informer shared by both controllers (implies get, list, watch). At most one per resource. */
  watch?: Watch;
  /** A child of a Registry: applied by the Registry controller, watched by label, owned by the Registry. */
  child?: boolean;
  /** Why, one line: rendered as the comment of the rule. */
  why: string;
}

const APPLY: Verb[] = ['create', 'patch', 'update'];
const CHILDREN: Watch = { scope: 'watched', labelSelector: CHILD_SELECTOR };

/** The one list. Order: the order of the rules in the files. */
export const PERMISSIONS: readonly Permission[] = [
  { role: 'registry', resource: RESOURCES.registry, verbs: [], watch: { scope: 'watched' }, why: 'Registries: what the Registry controller reconciles (the access controller reads them too).' },
  { role: 'registry', resource: RESOURCES.registry, subresource: 'status', verbs: ['get', 'patch', 'update'], why: 'A Registry\'s status (server-side apply).' },
  { role: 'registry', resource: RESOURCES.registry, subresource: 'finalizers', verbs: ['update'], why: 'Owner references with blockOwnerDeletion need this where OwnerReferencesPermissionEnforcement runs.' },
  {
    role: 'registry',
    resource: RESOURCES.secret,
    verbs: APPLY,
    watch: { scope: 'cluster', labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` },
    child: true,
    why: "Berth's Secrets: a Registry's config, signing key and policy Secret; the pull, push and credential-store Secrets of the access controller.",
  },
  {
    role: 'registry',
    resource: RESOURCES.configMap,
    verbs: [...APPLY, 'delete'],
    watch: CHILDREN,
    child: true,
    why: "A Registry's report ConfigMap (made and owned by the operator, read back for the Registry's status; get and patch are also what its Role grants the registry pods) and its <name>-ca ConfigMap, publishing the operator's CA certificate (spec.tls without secretName), deleted when no longer asked for.",
  },
  { role: 'registry', resource: RESOURCES.pvc, verbs: APPLY, watch: CHILDREN, child: true, why: "A Registry's claim (never deleted by the operator: reclaimPolicy Delete works through an owner reference)." },
  { role: 'registry', resource: RESOURCES.service, verbs: APPLY, watch: CHILDREN, child: true, why: "A Registry's Service." },
  {
    role: 'registry',
    resource: RESOURCES.serviceAccount,
    verbs: APPLY,
    watch: { scope: 'cluster' },
    child: true,
    why: "The registry pods' ServiceAccount; every ServiceAccount is watched for the access controller's imagePullSecrets entries.",
  },
  { role: 'registry', resource: RESOURCES.role, verbs: APPLY, watch: CHILDREN, child: true, why: 'The Role that lets the registry pods read their policy Secret and patch their report ConfigMap, and only those (RBAC allows granting it only because the operator holds the same verbs on them).' },
  { role: 'registry', resource: RESOURCES.roleBinding, verbs: APPLY, watch: CHILDREN, child: true, why: 'Its RoleBinding to the pods\' ServiceAccount.' },
  { role: 'registry', resource: RESOURCES.deployment, verbs: APPLY, watch: CHILDREN, child: true, why: "A Registry's Deployment (applied after the ServiceAccount, Role and RoleBinding its pods use)." },
  { role: 'registry', resource: RESOURCES.pdb, verbs: [...APPLY, 'delete'], watch: CHILDREN, child: true, why: "A Registry's PodDisruptionBudget (more than one replica); deleted when it is back to one." },
  { role: 'registry', resource: RESOURCES.ingress, verbs: [...APPLY, 'delete'], watch: CHILDREN, child: true, why: 'A Registry\'s Ingress; deleted when spec.expose.ingress no longer asks for one.' },
  {
    role: 'registry',
    resource: RESOURCES.clusterRoleBinding,
    verbs: [...APPLY, 'delete'],
    watch: { scope: 'cluster', labelSelector: CHILD_SELECTOR },
    child: true,
    why: `Binds a Registry's pods to ${AUTH_DELEGATOR_ROLE} while spec.auth.kubernetes.enabled; deleted when it is disabled or the Registry is gone (a cluster-scoped object cannot be owned by a Registry). Only bindings it labelled for a Registry and that refer to that role are ever deleted.`,
  },
  {
    role: 'registry',
    resource: RESOURCES.clusterRole,
    resourceNames: [AUTH_DELEGATOR_ROLE],
    verbs: ['bind'],
    why: `Bind ${AUTH_DELEGATOR_ROLE} (deploy/rbac/40-repository-roles.yaml) without holding its permissions; no other ClusterRole.`,
  },
  { role: 'registry', resource: RESOURCES.event, verbs: ['create', 'patch'], why: 'Events on Registries and Repositories (patch: the count of a repeated Event).' },
  { role: 'access', resource: RESOURCES.repository, verbs: ['patch'], watch: { scope: 'watched' }, why: 'Repositories: what the access controller reads; patch puts and removes its finalizer.' },
  { role: 'access', resource: RESOURCES.repository, subresource: 'status', verbs: ['get', 'patch', 'update'], why: "A Repository's status (server-side apply)." },
  { role: 'access', resource: RESOURCES.repository, subresource: 'finalizers', verbs: ['update'], why: 'Owner references from push Secrets to their Repository.' },
  { role: 'access', resource: RESOURCES.namespace, verbs: [], watch: { scope: 'cluster' }, why: 'Namespaces, to select them by name and label and read their consent (berth.dev/accept-from); never changed.' },
  { role: 'access', resource: RESOURCES.secret, verbs: ['delete'], why: 'Delete the pull and push Secrets it wrote, proven by their ownership proof (deselected namespaces, deleted Repositories and Registries); never any other Secret.' },
  { role: 'access', resource: RESOURCES.serviceAccount, verbs: ['patch'], why: "Add its pull Secret to ServiceAccounts' imagePullSecrets (own or consenting namespaces only), and remove only entries it added." },
  { role: 'leaderElection', resource: RESOURCES.lease, verbs: ['create'], why: '`create` cannot be limited to a name in RBAC: granted on the Leases of this namespace.' },
  { role: 'leaderElection', resource: RESOURCES.lease, resourceNames: ['berth-operator'], verbs: ['get', 'update'], why: 'Read and renew the operator\'s own Lease only.' },
];

/** The verbs of a permission, the watch's first (pure). */
export function verbsOf(p: Permission): Verb[] {
  const verbs: Verb[] = p.watch ? ['get', 'list', 'watch'] : [];
  for (const v of p.verbs) if (!verbs.includes(v)) verbs.push(v);
  return verbs;
}

/** Child resource types the Registry controller applies and watches. */
export const CHILD_RESOURCES: readonly ResourceType[] = PERMISSIONS.filter((p) => p.child).map((p) => p.resource);

/** The informer scope of a watched resource, given the namespace the operator watches (undefined: all). */
export function watchScope(resource: ResourceType, watchNamespace: string | undefined): WatchScope {
  const watch = PERMISSIONS.find((p) => p.resource === resource && p.watch)?.watch;
  if (!watch) throw new Error(`${resource.plural} is not watched (see PERMISSIONS in src/operator/rbac.ts)`);
  return { namespace: watch.scope === 'watched' ? watchNamespace : undefined, labelSelector: watch.labelSelector };
}
