/**
 * The PodDisruptionBudget of a Registry with more than one replica (pure): a node drain or cluster upgrade evicts
 * its pods one at a time, so the registry keeps answering. With one replica there is none (it would block every
 * drain), and the plan removes one left from an earlier scale.
 */
import type { KubeObject } from '../../kube/objects.js';
import { childLabels, childNames, ownerReference, selectorLabels } from './naming.js';
import type { Registry, RegistrySpec } from './types.js';

/** Whether a Registry with this spec gets a PodDisruptionBudget. */
export function wantsDisruptionBudget(spec: Pick<RegistrySpec, 'replicas'>): boolean {
  return spec.replicas > 1;
}

/** The budget (maxUnavailable 1), or undefined when the Registry should have none. */
export function buildDisruptionBudget(registry: Registry, spec: RegistrySpec): KubeObject | undefined {
  if (!wantsDisruptionBudget(spec)) return undefined;
  const name = registry.metadata.name;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: childNames(name, spec).disruptionBudget,
      namespace: registry.metadata.namespace,
      labels: childLabels(name, 'registry'),
      ownerReferences: [ownerReference(registry)],
    },
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(name) },
      // a pod that never became ready may always be evicted (it serves nothing), so a broken rollout cannot block drains
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
