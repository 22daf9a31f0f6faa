/**
 * Tenancy: which repository paths a namespace may claim in a Registry (pure). By default a namespace owns the paths
 * under its own name (`team-a` may declare `team-a/api`, `team-a/tools/x` and `team-a` itself). The Registry's
 * `spec.tenancy` can switch that off and grant further path patterns to named namespaces (`*` for all):
 *
 * ```yaml
 * tenancy:
 *   namespacePaths: true            # default
 *   grants:
 *     - namespaces: [platform]
 *       paths: [library/**, base/*]
 * ```
 */
import { matchesPattern } from '../../shared/policy-match.js';
import type { Registry } from '../registry/types.js';

export interface TenancyGrant {
  namespaces: string[];
  paths: string[];
}

export interface Tenancy {
  /** Whether each namespace may claim `<namespace>/**`. */
  namespacePaths: boolean;
  grants: TenancyGrant[];
}

export const DEFAULT_TENANCY: Tenancy = { namespacePaths: true, grants: [] };

/** The tenancy of a Registry with defaults filled in (the CRD schema has checked the shapes). */
export function tenancyOf(registry: Registry): Tenancy {
  const raw = (registry.spec as { tenancy?: { namespacePaths?: boolean; grants?: Array<Partial<TenancyGrant>> } } | undefined)?.tenancy;
  return {
    namespacePaths: raw?.namespacePaths ?? DEFAULT_TENANCY.namespacePaths,
    grants: (raw?.grants ?? []).map((g) => ({ namespaces: g.namespaces ?? [], paths: g.paths ?? [] })),
  };
}

/** The path patterns `namespace` may claim. */
export function allowedPatterns(tenancy: Tenancy, namespace: string): string[] {
  const patterns = tenancy.namespacePaths ? [`${namespace}/**`] : [];
  for (const grant of tenancy.grants) {
    if (grant.namespaces.includes(namespace) || grant.namespaces.includes('*')) patterns.push(...grant.paths);
  }
  return patterns;
}

/** Whether `namespace` may claim `path`. */
export function pathAllowed(tenancy: Tenancy, namespace: string, path: string): boolean {
  return allowedPatterns(tenancy, namespace).some((p) => matchesPattern(p, path));
}
