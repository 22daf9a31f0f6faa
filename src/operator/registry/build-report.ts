/**
 * The report ConfigMap of a Registry (pure builder): where its pods publish documents for the operator (the last
 * garbage collection run…, src/shared/schemas/report.ts). The operator makes it, owns it and applies only its
 * metadata; the pods patch its `data` keys (their Role allows `get` and `patch` on it alone), and the operator
 * reads them back through its ConfigMap informer.
 */
import type { KubeObject } from '../../kube/objects.js';
import { childLabels, childNames, ownerReference } from './naming.js';
import type { Registry, RegistrySpec } from './types.js';

export function buildReportConfigMap(registry: Registry, spec: Pick<RegistrySpec, 'storage'>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: childNames(registry.metadata.name, spec).reportConfigMap,
      namespace: registry.metadata.namespace,
      labels: childLabels(registry.metadata.name, 'report'),
      ownerReferences: [ownerReference(registry)],
    },
  };
}
