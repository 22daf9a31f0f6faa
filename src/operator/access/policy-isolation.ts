/**
 * Per-Repository isolation of the access policy (pure): every field a Repository puts into the policy (its path, the
 * user and robot names and actions of `spec.access`) is checked on its own, first by the operator's rules below and
 * then by the registry's own policy parser on a policy holding only that Repository's rules. A Repository whose part
 * is invalid is left out of the rendered policy and refused with {@link REASONS.invalidAccess}; every other
 * Repository's rules keep applying (one tenant can never make the registry refuse the whole policy).
 */
import { parsePolicy } from '../../shared/policy-parse.js';
import { parseQuantity } from '../../shared/quantity.js';
import { lifecycleEntry } from './lifecycle.js';
import { ACCOUNT_NAME, isRepositoryName, POLICY_ACTIONS, type PolicyAction } from '../../shared/policy.js';
import type { Admission } from './admission.js';
import type { RepositorySpec } from './types.js';
import { REASONS } from './types.js';

const isAction = (a: unknown): a is PolicyAction => (POLICY_ACTIONS as readonly unknown[]).includes(a);

/** The first problem of a Repository's part of the policy, as a message; undefined when it is valid. */
export function accessProblem(spec: RepositorySpec): string | undefined {
  for (const [i, entry] of spec.access.entries()) {
    const at = `spec.access[${i}]`;
    const badUser = entry.users.find((u) => typeof u !== 'string' || !ACCOUNT_NAME.test(u));
    if (badUser !== undefined) return `${at}.users: "${String(badUser)}" is not an account name (${ACCOUNT_NAME.source})`;
    const badRobot = entry.robots.find((r) => typeof r !== 'string' || !ACCOUNT_NAME.test(r));
    if (badRobot !== undefined) return `${at}.robots: "${String(badRobot)}" is not an account name (${ACCOUNT_NAME.source})`;
    const badAction = entry.actions.find((a) => !isAction(a));
    if (badAction !== undefined) return `${at}.actions: "${String(badAction)}" is not one of ${POLICY_ACTIONS.join(', ')}`;
  }
  if (!isRepositoryName(spec.path)) return `spec.path "${spec.path}" is not a repository name`;
  return registryParserProblem(spec);
}

/** What the registry's parser says about a policy made of this Repository's rules alone. */
function registryParserProblem(spec: RepositorySpec): string | undefined {
  const rules = spec.access
    .filter((e) => e.actions.length > 0 && e.users.length + e.robots.length > 0)
    .map((e) => ({ repositories: [spec.path], principals: [...e.users.map((u) => `user:${u}`), ...e.robots.map((r) => `robot:${r}`)], actions: e.actions }));
  if (spec.quota !== undefined && parseQuantity(spec.quota.size) === undefined) {
    return `spec.quota.size "${String(spec.quota.size)}" is not a byte count or a quantity such as 10Gi`;
  }
  const entry = lifecycleEntry({ key: '', spec });
  try {
    parsePolicy({ version: 1, rules, ...(entry ? { lifecycle: [entry] } : {}) });
    return undefined;
  } catch (err) {
    return `the registry would refuse spec.access or the lifecycle fields: ${(err as Error).message}`;
  }
}

/** The admission of a Repository whose part of the policy is invalid. */
export function invalidAccess(message: string): Admission {
  return { accepted: false, reason: REASONS.invalidAccess, message: `${message}; the Repository's rules are left out of the access policy` };
}
