/**
 * The TLS objects of a Registry with an operator-issued certificate (pure): the serving certificate's
 * kubernetes.io/tls Secret, and the ConfigMap that publishes the CA certificate for nodes and clients.
 */
import type { KubeObject } from '../../kube/objects.js';
import type { KeyPair } from '../tls/certificate.js';
import { childLabels, ownerReference } from './naming.js';
import { TLS_KEYS } from './tls-plan.js';
import type { Registry } from './types.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function buildServingSecret(registry: Registry, name: string, pair: KeyPair): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: registry.metadata.namespace,
      labels: childLabels(registry.metadata.name, 'tls'),
      ownerReferences: [ownerReference(registry)],
    },
    type: 'kubernetes.io/tls',
    data: { [TLS_KEYS.cert]: b64(pair.certPem), [TLS_KEYS.key]: b64(pair.keyPem) },
  };
}

export function buildCaConfigMap(registry: Registry, name: string, caCertPem: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: registry.metadata.namespace,
      labels: childLabels(registry.metadata.name, 'ca'),
      ownerReferences: [ownerReference(registry)],
    },
    data: { [TLS_KEYS.ca]: caCertPem },
  };
}
