/**
 * Which Kubernetes object governs a repository path, for a SubjectAccessReview on `repositories.berth.dev` (pure):
 * the Repository that declares the path when the policy names one; otherwise every namespace that may claim the path
 * under the Registry's tenancy (by default the namespace named by the path's first component: `team-a` owns
 * `team-a/api`). A grant to every namespace (`*`) names no namespace, so it is left out: such paths are decided by
 * a Repository declaring them, or by cluster-wide grants (a SubjectAccessReview without a namespace).
 */
import { matchesPattern } from '../../../shared/policy-match.js';
import type { PolicyTenancy } from '../../../shared/policy.js';

/** Where to ask: the namespace, and the Repository's name when one declares the path. */
export interface ReviewTarget {
  /** '' asks about a cluster-wide grant (a ClusterRoleBinding). */
  namespace: string;
  name?: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The targets to ask about `path`; the caller may act when RBAC allows it on any of them. Empty: nobody may. */
export function reviewTargets(tenancy: PolicyTenancy | undefined, path: string): ReviewTarget[] {
  const declared = tenancy?.repositories?.find((r) => r.path === path);
  if (declared) return [{ namespace: declared.namespace, name: declared.name }];
  const namespaces = new Set<string>();
  const first = path.split('/')[0] ?? '';
  if ((tenancy?.namespacePaths ?? true) && NAMESPACE.test(first) && first.length <= 63) namespaces.add(first);
  for (const grant of tenancy?.grants ?? []) {
    if (!grant.paths.some((p) => matchesPattern(p, path))) continue;
    for (const ns of grant.namespaces) if (ns !== '*') namespaces.add(ns);
  }
  return [...namespaces].sort().map((namespace) => ({ namespace }));
}
