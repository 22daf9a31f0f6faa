/**
 * What a Kubernetes identity may do: for each requested repository action, a SubjectAccessReview (verb = the
 * action) on the object that governs the path ({@link reviewTargets}); allowed when RBAC allows it on any target.
 * The token then carries exactly that, plus whatever the policy grants every authenticated caller (public
 * repositories). An API failure rejects: the caller fails closed.
 */
import { isRepositoryName, POLICY_ACTIONS, type PolicyTenancy } from '../../../shared/policy.js';
import type { AccessItem } from '../types.js';
import { reviewTargets } from './governing.js';
import type { KubeReviews, KubeUser } from './reviews.js';

/** Token subjects of Kubernetes identities: `k8s:<username>` (policy account names cannot hold a colon). */
export const KUBE_SUBJECT_PREFIX = 'k8s:';

/** Whether a token subject is a Kubernetes identity. */
export const isKubeSubject = (sub: string): boolean => sub.startsWith(KUBE_SUBJECT_PREFIX);

/** A JWT (three base64url parts): ServiceAccount and projected tokens are; robot secrets and passwords are not. */
export function looksLikeKubeToken(password: string): boolean {
  return password.length < 16_384 && /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(password);
}

async function allowedAction(reviews: KubeReviews, user: KubeUser, tenancy: PolicyTenancy | undefined, path: string, action: string): Promise<boolean> {
  const answers = await Promise.all(reviewTargets(tenancy, path).map((t) => reviews.allowed(user, t, action)));
  return answers.includes(true);
}

/** The requested repository actions RBAC allows `user` (other resource types get none). */
export async function kubeAccess(
  reviews: KubeReviews,
  user: KubeUser,
  tenancy: PolicyTenancy | undefined,
  requested: readonly AccessItem[],
): Promise<AccessItem[]> {
  return Promise.all(
    requested.map(async (item) => {
      if (item.type !== 'repository' || !isRepositoryName(item.name)) return { ...item, actions: [] };
      const asked: readonly string[] = item.actions.includes('*') ? POLICY_ACTIONS : item.actions.filter((a) => (POLICY_ACTIONS as readonly string[]).includes(a));
      const allowed = await Promise.all(asked.map((a) => allowedAction(reviews, user, tenancy, item.name, a)));
      return { ...item, actions: asked.filter((_, i) => allowed[i]) };
    }),
  );
}

/** `requested` items with the union of actions of `a` and `b` (both per requested item, in the same order). */
export function unionAccess(a: readonly AccessItem[], b: readonly AccessItem[]): AccessItem[] {
  return a.map((item, i) => ({ ...item, actions: [...new Set([...item.actions, ...(b[i]?.actions ?? [])])] }));
}
