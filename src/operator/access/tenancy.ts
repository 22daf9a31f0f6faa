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
 *   pullSecretGrants:               # deliveries into other namespaces (consent.ts)
 *     - namespaces: [platform]
 *       targetNamespaces: ['*']
 * ```
 */
import { matchesPattern } from '../../shared/policy-match.js';
import { tenancyDefaults, type Tenancy } from '../../shared/schemas/registry.js';
import type { Registry } from '../registry/types.js';

export type { Tenancy } from '../../shared/schemas/registry.js';

/** The tenancy of a Registry with the schema's defaults filled in (the CRD schema has checked the shapes). */
export function tenancyOf(registry: Registry): Required<Tenancy> {
  const t = tenancyDefaults(registry.spec?.tenancy);
  return { ...t, grants: t.grants ?? [], pullSecretGrants: t.pullSecretGrants ?? [] };
}

/** The path patterns `namespace` may claim. */
export function allowedPatterns(tenancy: Required<Tenancy>, namespace: string): string[] {
  const patterns = tenancy.namespacePaths ? [`${namespace}/**`] : [];
  for (const grant of tenancy.grants) {
    if (grant.namespaces.includes(namespace) || grant.namespaces.includes('*')) patterns.push(...grant.paths);
  }
  return patterns;
}

/** Whether `namespace` may claim `path`. */
export function pathAllowed(tenancy: Required<Tenancy>, namespace: string, path: string): boolean {
  return allowedPatterns(tenancy, namespace).some((p) => matchesPattern(p, path));
}
