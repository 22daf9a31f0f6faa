/**
 * The lifecycle rules of each repository, compiled from the access policy's `lifecycle` section (pure, memoized per
 * policy): immutable tag and keep-tag matchers, the quota in bytes, and the retention rule.
 */
import { parseDuration } from '../../shared/duration.js';
import type { PolicyLifecycle } from '../../shared/policy.js';
import { tagMatcher } from '../../shared/tag-patterns.js';
import type { RetentionRule } from './retention-plan.js';

export interface RepositoryRules {
  repository: string;
  immutable: (tag: string) => boolean;
  quotaBytes?: number;
  retention?: RetentionRule & { dryRun: boolean };
}

const NONE = (): boolean => false;

export function compileRules(entry: PolicyLifecycle): RepositoryRules {
  const immutable = entry.immutableTags?.length ? tagMatcher(entry.immutableTags) : NONE;
  const r = entry.retention;
  const olderThanMs = r?.olderThan === undefined ? undefined : parseDuration(r.olderThan);
  return {
    repository: entry.repository,
    immutable,
    ...(entry.quotaBytes === undefined ? {} : { quotaBytes: entry.quotaBytes }),
    ...(r
      ? {
          retention: {
            ...(r.keepLast === undefined ? {} : { keepLast: r.keepLast }),
            ...(olderThanMs === undefined ? {} : { olderThanMs }),
            keepTag: tagMatcher(r.keepTags ?? []),
            immutable,
            dryRun: r.dryRun ?? false,
          },
        }
      : {}),
  };
}

/** A lookup by repository name over whatever `source` returns now (recompiled when it returns another array). */
export function rulesLookup(source: () => readonly PolicyLifecycle[] | undefined): {
  get(repository: string): RepositoryRules | undefined;
  all(): RepositoryRules[];
} {
  let seen: readonly PolicyLifecycle[] | undefined;
  let index = new Map<string, RepositoryRules>();
  const current = (): Map<string, RepositoryRules> => {
    const entries = source();
    if (entries !== seen) {
      seen = entries;
      index = new Map((entries ?? []).map((e) => [e.repository, compileRules(e)]));
    }
    return index;
  };
  return { get: (repository) => current().get(repository), all: () => [...current().values()] };
}
