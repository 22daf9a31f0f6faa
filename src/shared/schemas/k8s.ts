/** Schema pieces every Berth custom resource uses: the object envelope and status conditions. */
import { Type, type TSchema } from '@sinclair/typebox';
import { AnyObject, StringEnum } from './kit.js';

/** A DNS-1123 subdomain (names of most objects: claims, Secrets). */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A DNS-1123 label (namespace names). */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** A standard status condition (`metav1.Condition`); `types` names the condition types in the description. */
export function Condition(types: string) {
  return Type.Object({
    type: Type.String({ maxLength: 316, description: types }),
    status: StringEnum(['True', 'False', 'Unknown'], { description: 'True, False or Unknown.' }),
    observedGeneration: Type.Optional(
      Type.Integer({ format: 'int64', minimum: 0, description: 'The metadata.generation the condition was computed from.' }),
    ),
    lastTransitionTime: Type.String({ format: 'date-time', description: 'When the status last changed.' }),
    reason: Type.String({ maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$', description: 'A CamelCase reason, for tools.' }),
    message: Type.String({ maxLength: 32768, description: 'What happened and, when something is wrong, what to do.' }),
  });
}

/** The `conditions` list of a status, keyed by type. */
export function Conditions(description: string, types: string) {
  return Type.Array(Condition(types), { description, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
}

/** `status.observedGeneration`. */
export const ObservedGeneration = Type.Integer({ format: 'int64', description: 'The metadata.generation this status describes.' });

/** The whole object of a kind: apiVersion, kind, metadata (described by Kubernetes), spec and status. */
export function KubeObjectSchema<S extends TSchema, T extends TSchema>(kind: string, description: string, spec: S, status: T) {
  return Type.Object(
    {
      apiVersion: Type.Optional(Type.String({ description: 'The versioned schema of this object (berth.dev/v1alpha1).' })),
      kind: Type.Optional(Type.String({ description: `The kind of this object (${kind}).` })),
      metadata: Type.Optional(AnyObject()),
      spec: Type.Optional(spec),
      status: Type.Optional(status),
    },
    { description },
  );
}
