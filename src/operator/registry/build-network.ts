/**
 * The Service, the optional Ingress and the PersistentVolumeClaim of a Registry (pure).
 */
import { behindOwnIngress } from './config-render.js';
import type { KubeObject } from '../../kube/objects.js';
import { childLabels, childNames, ownerReference, selectorLabels } from './naming.js';
import type { Registry, RegistrySpec } from './types.js';

export function buildService(registry: Registry, spec: RegistrySpec): KubeObject {
  const name = registry.metadata.name;
  const svc = spec.expose.service;
  const port: Record<string, unknown> = { name: 'http', port: svc.port, targetPort: 'http', protocol: 'TCP' };
  if (svc.nodePort !== undefined && svc.type !== 'ClusterIP') port.nodePort = svc.nodePort;
  const metadata: KubeObject['metadata'] = {
    name: childNames(name, spec).service,
    namespace: registry.metadata.namespace,
    labels: childLabels(name, 'registry'),
    ownerReferences: [ownerReference(registry)],
  };
  if (svc.annotations && Object.keys(svc.annotations).length) metadata.annotations = svc.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: { type: svc.type, selector: selectorLabels(name), ports: [port] },
  };
}

/** The Ingress for spec.expose.host, or undefined when none is asked for. */
export function buildIngress(registry: Registry, spec: RegistrySpec): KubeObject | undefined {
  const ingress = spec.expose.ingress;
  if (!ingress?.enabled || !spec.expose.host || !behindOwnIngress(spec)) return undefined;
  const name = registry.metadata.name;
  const host = spec.expose.host.replace(/:\d+$/, '');
  const ingressSpec: Record<string, unknown> = {
    rules: [
      {
        host,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: childNames(name, spec).service, port: { name: 'http' } } },
            },
          ],
        },
      },
    ],
  };
  if (ingress.className) ingressSpec.ingressClassName = ingress.className;
  if (ingress.tlsSecretName) ingressSpec.tls = [{ hosts: [host], secretName: ingress.tlsSecretName }];
  const metadata: KubeObject['metadata'] = {
    name: childNames(name, spec).ingress,
    namespace: registry.metadata.namespace,
    labels: childLabels(name, 'registry'),
    ownerReferences: [ownerReference(registry)],
  };
  if (ingress.annotations && Object.keys(ingress.annotations).length) metadata.annotations = ingress.annotations;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec: ingressSpec };
}

/**
 * The claim for the layers, or undefined with an existing claim. It carries an owner reference (so it is deleted
 * with the Registry) only when reclaimPolicy is Delete; by default it, and every layer, outlives the Registry.
 */
export function buildClaim(registry: Registry, spec: RegistrySpec): KubeObject | undefined {
  if (spec.storage.existingClaim) return undefined;
  const name = registry.metadata.name;
  const claimSpec: Record<string, unknown> = {
    accessModes: spec.storage.accessModes,
    resources: { requests: { storage: spec.storage.size } },
  };
  if (spec.storage.storageClassName) claimSpec.storageClassName = spec.storage.storageClassName;
  const metadata: KubeObject['metadata'] = {
    name: childNames(name, spec).claim,
    namespace: registry.metadata.namespace,
    labels: childLabels(name, 'storage'),
  };
  if (spec.storage.reclaimPolicy === 'Delete') metadata.ownerReferences = [ownerReference(registry)];
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: claimSpec };
}
