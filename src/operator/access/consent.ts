/**
 * Consent for cross-namespace delivery (pure): which namespaces a Repository may write a pull Secret into and whose
 * ServiceAccounts it may patch. The tenancy contract (README, "The tenancy contract"):
 * - a Repository always delivers into its own namespace;
 * - another namespace receives it only when it consents, in a way only someone with rights over it can express:
 *   the annotation {@link ACCEPT_FROM_ANNOTATION} on the Namespace (`berth.dev/accept-from: team-a,platform`, or
 *   `*` for every namespace of the Registry), which takes update rights on the Namespace object; or
 * - the Registry's owner grants it in `spec.tenancy.pullSecretGrants` (`{namespaces: [team-a], targetNamespaces:
 *   [team-b]}`, `*` in either list for all).
 * A selection (a list or a label selector, `{}` included) never widens this: it picks among consenting namespaces.
 */
import type { Registry } from '../registry/types.js';
import { tenancyOf } from './tenancy.js';
import type { Namespace } from './types.js';

/** On a Namespace: the namespaces (comma-separated, or `*`) whose Repositories may deliver pull Secrets into it. */
export const ACCEPT_FROM_ANNOTATION = 'berth.dev/accept-from';

export interface PullSecretGrant {
  /** Namespaces of the Repositories granted (`*`: all). */
  namespaces: string[];
  /** Namespaces they may deliver into (`*`: all). */
  targetNamespaces: string[];
}

/** The Registry's delivery grants (`spec.tenancy.pullSecretGrants`; the CRD schema has checked the shapes). */
export function pullSecretGrantsOf(registry: Registry): PullSecretGrant[] {
  return tenancyOf(registry).pullSecretGrants;
}

/** The namespaces a Namespace's annotation accepts deliveries from. */
export function acceptedSources(ns: Namespace): string[] {
  const text = ns.metadata.annotations?.[ACCEPT_FROM_ANNOTATION] ?? '';
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const names = (list: readonly string[], name: string): boolean => list.includes(name) || list.includes('*');

/** Whether Repositories in `source` may deliver into the Namespace `target`. */
export function consents(grants: readonly PullSecretGrant[], source: string, target: Namespace): boolean {
  const name = target.metadata.name;
  if (name === source) return true;
  if (names(acceptedSources(target), source)) return true;
  return grants.some((g) => names(g.namespaces, source) && names(g.targetNamespaces, name));
}

/** How a namespace can consent, for messages and Events. */
export function howToConsent(source: string, registryKey: string): string {
  return (
    `annotate the namespace with ${ACCEPT_FROM_ANNOTATION}=${source} (needs rights over that namespace), or ask the ` +
    `owners of Registry ${registryKey} to grant it in spec.tenancy.pullSecretGrants`
  );
}
