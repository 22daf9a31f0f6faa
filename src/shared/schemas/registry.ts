/**
 * The Registry custom resource (berth.dev/v1alpha1): the one schema from which the CRD in `deploy/crds` is generated
 * (`npm run generate:crds`) and the operator's types and defaults are derived.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Default, MapOf, StringEnum, applyDefaults, type Defaulted } from './kit.js';
import { Conditions, DNS_SUBDOMAIN, KubeObjectSchema, ObservedGeneration } from './k8s.js';
import { LOG_LEVELS } from './registry-config.js';
import { RegistryGcSchema, RegistryGcStatusSchema } from './registry-gc.js';
import { ExposeSchema, RegistryKubernetesAuthSchema, RegistryTlsSchema, ResourcesSchema, StorageSchema, TenancySchema, TolerationSchema } from './registry-parts.js';

export { ACCESS_MODES, type AccessMode } from './registry-parts.js';


export const RegistrySpecSchema = Type.Object(
  {
    replicas: Default(
      Type.Integer({
        format: 'int32',
        minimum: 0,
        maximum: 50,
        description:
          'Number of registry pods. More than one needs shared storage: storage.s3, a ReadWriteMany volume, or an existing claim that every pod can mount. With more than one, a PodDisruptionBudget keeps all but one up during node drains. Also set by `kubectl scale`.',
      }),
      1,
    ),
    image: Type.Optional(
      Type.String({
        maxLength: 512,
        description:
          'The Berth image to run (for example registry.example.com/berth:0.1.0). Empty: the image the operator was started with (its --image flag).',
      }),
    ),
    imagePullPolicy: Default(
      StringEnum(['Always', 'IfNotPresent', 'Never'], { description: 'When the kubelet pulls the image (Always, IfNotPresent or Never).' }),
      'IfNotPresent',
    ),
    imagePullSecrets: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ maxLength: 253, description: "Name of a kubernetes.io/dockerconfigjson Secret in the Registry's namespace." }),
        }),
        { maxItems: 8, description: 'Secrets (in this namespace) the kubelet uses to pull the Berth image itself.' },
      ),
    ),
    logLevel: Default(StringEnum(LOG_LEVELS, { description: 'Log level of the registry pods.' }), 'info'),
    storage: Default(StorageSchema, {}),
    expose: Default(ExposeSchema, {}),
    tls: Type.Optional(RegistryTlsSchema),
    auth: Default(
      Type.Object(
        {
          tokenTtl: Default(
            Type.String({
              maxLength: 16,
              pattern: '^([0-9]+(ms|s|m|h))+$',
              description: 'Lifetime of issued bearer tokens, for example 5m or 1h. At least 60s.',
              'x-kubernetes-validations': [
                { rule: "duration(self) >= duration('60s')", message: 'auth.tokenTtl must be at least 60s (clients refresh shorter tokens too often)' },
              ],
            }),
            '5m',
          ),
          kubernetes: Type.Optional(RegistryKubernetesAuthSchema),
          usersSecret: Type.Optional(
            Type.String({
              maxLength: 253,
              pattern: DNS_SUBDOMAIN,
              description:
                "A Secret in this namespace whose key `users` holds people as `name:hash` lines: bcrypt (htpasswd -B) or scrypt (berth passwd). Repositories grant them access with spec.access[].users; the operator puts the users they name into the access policy (re-read at least every 30s: a user removed from the Secret loses access then).",
            }),
          ),
        },
        { description: 'The embedded token service.' },
      ),
      {},
    ),
    tenancy: Type.Optional(TenancySchema),
    gc: Type.Optional(RegistryGcSchema),
    resources: Default(ResourcesSchema, { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } }),
    nodeSelector: Type.Optional(MapOf(Type.String(), { maxProperties: 32, description: 'Node labels the registry pods must run on.' })),
    tolerations: Type.Optional(
      Type.Array(TolerationSchema, { maxItems: 32, description: "Taints the registry pods tolerate, as in a pod's tolerations." }),
    ),
  },
  {
    description: 'What registry to run. Changing it rolls the registry pods when their configuration changes.',
    'x-kubernetes-validations': [
      {
        rule: "self.replicas <= 1 || (has(self.storage) && (has(self.storage.s3) || has(self.storage.existingClaim) || (has(self.storage.accessModes) && 'ReadWriteMany' in self.storage.accessModes)))",
        message:
          'more than one replica needs shared storage: set spec.storage.s3, add ReadWriteMany to spec.storage.accessModes, or set spec.storage.existingClaim to a claim all pods can mount',
        fieldPath: '.replicas',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "!has(self.tls) || !has(self.expose) || !has(self.expose.scheme) || self.expose.scheme == 'https'",
        message: 'spec.tls makes the pods serve HTTPS: set expose.scheme to https or leave it empty',
        fieldPath: '.expose.scheme',
        reason: 'FieldValueInvalid',
      },
    ],
  },
);

export const RegistryStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    endpoint: Type.Optional(
      Type.String({ description: 'The host clients put in image references (expose.host or the Service DNS name).' }),
    ),
    url: Type.Optional(Type.String({ description: "The registry's base URL, also the prefix of the token realm." })),
    replicas: Type.Optional(Type.Integer({ format: 'int32', description: 'Registry pods that exist.' })),
    readyReplicas: Type.Optional(Type.Integer({ format: 'int32', description: 'Registry pods that pass their readiness probe.' })),
    selector: Type.Optional(Type.String({ description: 'Label selector of the registry pods (used by the scale subresource).' })),
    claimName: Type.Optional(Type.String({ description: 'The PersistentVolumeClaim holding the layers.' })),
    gc: Type.Optional(RegistryGcStatusSchema),
    tls: Type.Optional(
      Type.Object(
        {
          secretName: Type.String({ description: 'The Secret the pods serve HTTPS with.' }),
          caConfigMap: Type.Optional(
            Type.String({ description: 'With an operator-issued certificate: the ConfigMap (in this namespace) whose ca.crt nodes and clients trust.' }),
          ),
          notAfter: Type.Optional(Type.String({ description: 'With an operator-issued certificate: when it expires (it is renewed well before).' })),
        },
        { description: 'How the registry serves HTTPS (spec.tls).' },
      ),
    ),
    conditions: Type.Optional(
      Conditions('Available, Progressing and Degraded, each with a reason and a message.', 'Available, Progressing or Degraded.'),
    ),
  },
  { description: 'What the operator observed. Written by the operator only.' },
);

export const RegistrySchema = KubeObjectSchema(
  'Registry',
  'A private OCI container registry with an embedded token service and layers on a persistent volume or in an S3-compatible bucket. The operator runs it as a Deployment of `berth serve` pods, a PersistentVolumeClaim (unless the layers are in a bucket), a Service, a PodDisruptionBudget with more than one replica and, if asked, an Ingress, all named after the Registry.',
  RegistrySpecSchema,
  RegistryStatusSchema,
);

/** A Registry spec as written (every defaulted field may be missing). */
export type RegistrySpecInput = Static<typeof RegistrySpecSchema>;
/** A Registry spec with the CRD's defaults filled in. */
export type RegistrySpec = Defaulted<typeof RegistrySpecSchema>;
export type RegistryStatus = Static<typeof RegistryStatusSchema>;
export type Toleration = Static<typeof TolerationSchema>;
export type Tenancy = Defaulted<typeof TenancySchema>;

/** The spec with every default of the schema filled in, as the API server stores it (pure). */
export function registrySpecDefaults(spec: RegistrySpecInput | undefined): RegistrySpec {
  return applyDefaults(RegistrySpecSchema, spec);
}

/** The tenancy section with its defaults (pure). */
export function tenancyDefaults(tenancy: RegistrySpecInput['tenancy']): Tenancy {
  return applyDefaults(TenancySchema, tenancy);
}
