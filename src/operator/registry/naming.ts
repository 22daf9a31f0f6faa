/**
 * Names, labels, owner references and the endpoint of a Registry's children: pure functions of the Registry.
 */
import { createHash } from 'node:crypto';
import type { OwnerReference } from '../../kube/objects.js';
import type { Registry, RegistrySpec } from './types.js';

export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  /** The Registry a child belongs to (also on children without an owner reference, such as a kept PVC). */
  registry: 'berth.dev/registry',
} as const;

export const ANNOTATIONS = {
  /** Hash of the pod's configuration, on the pod template: a config change rolls the pods. */
  configHash: 'berth.dev/config-hash',
  /** Hash of the desired object, on every applied child: a changed desire is applied even when a field was dropped. */
  desiredHash: 'berth.dev/desired-hash',
} as const;

export const MANAGED_BY = 'berth-operator';
export const APP_NAME = 'berth-registry';

/** Label selector of every child the Registry controller manages (its informers watch only these). */
export const CHILD_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.registry}`;

/** The pod port; the Service maps its own port to it. */
export const REGISTRY_PORT = 5000;

/** `<base><suffix>` within the 253 characters of an object name (long bases keep a prefix and get a hash). */
export function boundedObjectName(base: string, suffix: string): string {
  if (base.length + suffix.length <= 253) return base + suffix;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 10);
  return `${base.slice(0, 253 - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/** Names of the children of a Registry. */
export function childNames(name: string, spec: Pick<RegistrySpec, 'storage'>) {
  return {
    deployment: name,
    service: name,
    ingress: name,
    disruptionBudget: name,
    configSecret: `${name}-config`,
    signingKeySecret: `${name}-signing-key`,
    policySecret: `${name}-policy`,
    /** The report ConfigMap the registry pods publish to (src/shared/schemas/report.ts). */
    reportConfigMap: `${name}-report`,
    claim: spec.storage.existingClaim ?? `${name}-data`,
  };
}

/** Labels that select the registry pods (stable for the life of the Deployment). */
export function selectorLabels(name: string): Record<string, string> {
  return { [LABELS.name]: APP_NAME, [LABELS.instance]: name };
}

/** `key=value,key=value` of {@link selectorLabels} (status.selector, for the scale subresource). */
export function selectorString(name: string): string {
  return Object.entries(selectorLabels(name))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function childLabels(name: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(name),
    [LABELS.component]: component,
    [LABELS.partOf]: 'berth',
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.registry]: name,
  };
}

/** The controller owner reference: garbage collection deletes the child with its Registry. */
export function ownerReference(registry: Registry): OwnerReference {
  return {
    apiVersion: registry.apiVersion,
    kind: registry.kind,
    name: registry.metadata.name,
    uid: registry.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface Endpoint {
  /** What clients put in image references: `registry.example.com` or `name.ns.svc:5000`. */
  host: string;
  /** `https://registry.example.com`: the external URL and token realm prefix. */
  url: string;
}

/** Where clients reach the registry: spec.expose.host, else the Service's cluster DNS name; https with spec.tls. */
export function registryEndpoint(name: string, namespace: string, spec: RegistrySpec): Endpoint {
  const host = spec.expose.host ?? `${name}.${namespace}.svc:${spec.expose.service.port}`;
  const scheme = spec.expose.scheme ?? (spec.tls || (spec.expose.ingress?.enabled && spec.expose.ingress.tlsSecretName) ? 'https' : 'http');
  return { host, url: `${scheme}://${host}` };
}
