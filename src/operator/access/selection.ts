/**
 * Which namespaces get a pull Secret (pure): those a Repository names in `spec.pullSecret.namespaces` or whose labels
 * match `spec.pullSecret.namespaceSelector`, minus `excludeNamespaces`, minus namespaces that do not exist or are
 * terminating (nothing can be created in them), minus namespaces that did not consent (reported as `refused`).
 */
import type { LabelSelector, Namespace, PullSecretSpec } from './types.js';

/** Whether `labels` satisfy `selector`, with Kubernetes semantics (an empty selector matches everything). */
export function matchesSelector(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (have[k] !== v) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, key);
    const ok =
      operator === 'Exists'
        ? present
        : operator === 'DoesNotExist'
          ? !present
          : operator === 'In'
            ? present && values.includes(have[key]!)
            : !present || !values.includes(have[key]!);
    if (!ok) return false;
  }
  return true;
}

/** Whether a namespace is on its way out (no new object can be created in it). */
export function isTerminating(ns: Namespace): boolean {
  return ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating';
}

export interface NamespaceSelection {
  /** Namespaces that get a pull Secret, sorted. */
  selected: string[];
  /** Namespaces named in the list that do not exist (or are terminating), sorted. */
  missing: string[];
  /**
   * Namespaces selected that did not consent to the delivery (`consent.ts`): nothing is written there. Those named
   * in the list first, each part sorted.
   */
  refused: string[];
}

/** The namespaces a Repository's pull-Secret spec selects among `namespaces`. */
export function selectNamespaces(
  spec: PullSecretSpec | undefined,
  namespaces: readonly Namespace[],
  consents: (ns: Namespace) => boolean = () => true,
): NamespaceSelection {
  if (!spec) return { selected: [], missing: [], refused: [] };
  const excluded = new Set(spec.excludeNamespaces);
  const live = new Map(namespaces.filter((ns) => !isTerminating(ns)).map((ns) => [ns.metadata.name, ns]));
  const selected = new Set<string>();
  const missing: string[] = [];
  for (const name of spec.namespaces) {
    if (excluded.has(name)) continue;
    if (live.has(name)) selected.add(name);
    else missing.push(name);
  }
  if (spec.namespaceSelector) {
    for (const [name, ns] of live) {
      if (!excluded.has(name) && matchesSelector(spec.namespaceSelector, ns.metadata.labels)) selected.add(name);
    }
  }
  // Refused namespaces named in the list come first (what the message shows when it lists only a few).
  const named = new Set(spec.namespaces);
  const refused = [...selected]
    .filter((name) => !consents(live.get(name)!))
    .sort((a, b) => Number(named.has(b)) - Number(named.has(a)) || (a < b ? -1 : a > b ? 1 : 0));
  const allowed = [...selected].filter((name) => !refused.includes(name)).sort();
  return { selected: allowed, missing: missing.sort(), refused };
}
