/**
 * The `lifecycle` section of a Registry's access policy, from its accepted Repositories (pure): each Repository
 * with immutable tags, a quota or a retention rule gets one entry, keyed by its path, with the quota in bytes.
 */
import type { PolicyLifecycle } from '../../shared/policy.js';
import { parseQuantity } from '../../shared/quantity.js';
import type { AcceptedRepository } from './robots.js';

/** The entry of one Repository, or undefined when it asks for none of the three. */
export function lifecycleEntry(a: Pick<AcceptedRepository, 'key' | 'spec'>): PolicyLifecycle | undefined {
  const { immutableTags, quota, retention, path } = a.spec;
  const quotaBytes = quota === undefined ? undefined : parseQuantity(quota.size);
  const entry: PolicyLifecycle = {
    repository: path,
    ...(immutableTags?.length ? { immutableTags: [...immutableTags] } : {}),
    ...(quotaBytes === undefined ? {} : { quotaBytes }),
    ...(retention ? { retention: { ...retention } } : {}),
  };
  if (Object.keys(entry).length === 1) return undefined;
  return { ...entry, description: `Repository ${a.key}` };
}

/** Every accepted Repository's entry, by path. */
export function policyLifecycle(accepted: readonly Pick<AcceptedRepository, 'key' | 'spec'>[]): PolicyLifecycle[] {
  return accepted
    .map(lifecycleEntry)
    .filter((e): e is PolicyLifecycle => e !== undefined)
    .sort((a, b) => (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0));
}
