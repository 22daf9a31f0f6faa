/**
 * The Registry custom resource (berth.dev/v1alpha1) as the operator sees it. Its schema, types and defaults live in
 * `src/shared/schemas/registry.ts` (the CRD in `deploy/crds` is generated from it); the API server fills in the
 * defaults, and {@link withDefaults} applies the same ones so builders also work on objects that never went through it.
 */
import type { Condition } from '../../kube/conditions.js';
import type { KubeObject } from '../../kube/objects.js';
import { registrySpecDefaults, type RegistrySpec, type RegistrySpecInput, type RegistryStatus as StatusSchema } from '../../shared/schemas/registry.js';

export { ACCESS_MODES, type AccessMode, type RegistrySpec, type Toleration } from '../../shared/schemas/registry.js';

export type RegistryStatus = Omit<StatusSchema, 'conditions'> & { conditions?: Condition[] };

/** A Registry as the API returns it; its spec may lack fields if the CRD defaults were not applied. */
export interface Registry extends KubeObject {
  spec?: RegistrySpecInput;
  status?: RegistryStatus;
}

/** The spec with every CRD default filled in, empty optional strings unset, nameless pull Secrets dropped (pure). */
export function withDefaults(spec: Registry['spec']): RegistrySpec {
  const s = registrySpecDefaults(spec);
  return s.imagePullSecrets ? { ...s, imagePullSecrets: s.imagePullSecrets.filter((x) => !!x?.name) } : s;
}
