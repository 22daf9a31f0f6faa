/** Sections of the Registry spec (see `registry.ts`): storage, exposure, tenancy, and the pods' resources. */
import { Type } from '@sinclair/typebox';
import { Default, IntOrString, MapOf, StringEnum } from './kit.js';
import { DNS_SUBDOMAIN } from './k8s.js';
import { RegistryS3Schema } from './registry-s3.js';

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export const StorageSchema = Type.Object(
  {
    size: Default(
      Type.String({
        maxLength: 32,
        description:
          'Requested volume size as a Kubernetes quantity (for example 10Gi). It can grow (if the storage class allows expansion) but not shrink.',
        'x-kubernetes-validations': [
          { rule: "isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))", message: 'storage.size must be a positive quantity such as 10Gi' },
          {
            rule: '!isQuantity(oldSelf) || !isQuantity(self) || quantity(self).compareTo(quantity(oldSelf)) >= 0',
            message: 'storage.size cannot shrink; a volume can only grow',
          },
        ],
      }),
      '10Gi',
    ),
    storageClassName: Type.Optional(
      Type.String({ maxLength: 253, description: 'StorageClass of the claim the operator creates. Empty means the cluster default.' }),
    ),
    accessModes: Default(
      Type.Array(StringEnum(ACCESS_MODES), {
        minItems: 1,
        maxItems: 3,
        'x-kubernetes-list-type': 'set',
        description:
          'Access modes of the claim the operator creates. With only ReadWriteOnce (or ReadWriteOncePod) the Deployment uses the Recreate strategy, so two pods never hold the volume at once.',
      }),
      ['ReadWriteOnce'],
    ),
    existingClaim: Type.Optional(
      Type.String({
        maxLength: 253,
        pattern: DNS_SUBDOMAIN,
        description:
          "Use this PersistentVolumeClaim (in the Registry's namespace) instead of creating one. The operator never changes or deletes it.",
      }),
    ),
    reclaimPolicy: Default(
      StringEnum(['Retain', 'Delete'], {
        description:
          'What happens to the claim the operator created when the Registry is deleted. Retain (the default) keeps it and every layer; Delete removes it with the Registry.',
      }),
      'Retain',
    ),
    s3: Type.Optional(RegistryS3Schema),
  },
  {
    description:
      'Where the layers live. By default the operator creates a PersistentVolumeClaim named after the Registry and keeps it (with every layer) when the Registry is deleted; with s3, in a bucket, and size, accessModes and reclaimPolicy are unused.',
    'x-kubernetes-validations': [
      {
        rule: '!has(self.s3) || (!has(self.existingClaim) && !has(self.storageClassName))',
        message:
          'storage.s3 keeps the layers in a bucket, not on a volume: remove storage.existingClaim and storage.storageClassName (a Registry has one or the other)',
        reason: 'FieldValueForbidden',
      },
      {
        rule: '!has(self.existingClaim) || !has(self.storageClassName)',
        message: 'storageClassName applies only to a claim the operator creates; remove it when existingClaim is set',
      },
      {
        rule: 'has(self.s3) || has(oldSelf.s3) || (has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName))',
        message: 'storage.storageClassName cannot change once the claim exists',
      },
      {
        rule: 'has(self.s3) || has(oldSelf.s3) || !has(self.accessModes) || !has(oldSelf.accessModes) || self.accessModes == oldSelf.accessModes',
        message: 'storage.accessModes cannot change once the claim exists',
      },
    ],
  },
);

const ServiceSchema = Type.Object(
  {
    type: Default(StringEnum(['ClusterIP', 'NodePort', 'LoadBalancer'], { description: 'Service type.' }), 'ClusterIP'),
    port: Default(
      Type.Integer({ format: 'int32', minimum: 1, maximum: 65535, description: 'Service port (the pods always listen on 5000).' }),
      5000,
    ),
    nodePort: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 30000,
        maximum: 32767,
        description: 'Fixed node port for type NodePort or LoadBalancer. Empty picks one.',
      }),
    ),
    annotations: Type.Optional(
      MapOf(Type.String(), { maxProperties: 32, description: 'Annotations on the Service (for example for a cloud load balancer).' }),
    ),
  },
  {
    description: 'The Service in front of the registry pods.',
    'x-kubernetes-validations': [
      { rule: "!has(self.nodePort) || self.type != 'ClusterIP'", message: 'expose.service.nodePort needs type NodePort or LoadBalancer', fieldPath: '.nodePort' },
    ],
  },
);

const IngressSchema = Type.Object(
  {
    enabled: Default(Type.Boolean({ description: 'Create an Ingress that routes expose.host to the Service.' }), false),
    className: Type.Optional(Type.String({ maxLength: 253, description: 'IngressClass name. Empty means the cluster default.' })),
    annotations: Type.Optional(
      MapOf(Type.String(), {
        maxProperties: 32,
        description:
          'Annotations on the Ingress, for example to lift the body size limit of the ingress controller so large layers can be pushed.',
      }),
    ),
    tlsSecretName: Type.Optional(
      Type.String({
        maxLength: 253,
        description: 'A kubernetes.io/tls Secret (in this namespace) holding the certificate for expose.host. Referenced, never copied.',
      }),
    ),
  },
  { description: 'An optional Ingress for expose.host.' },
);

export const ExposeSchema = Type.Object(
  {
    host: Type.Optional(
      Type.String({
        maxLength: 260,
        pattern:
          '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|[0-9]{1,3}(\\.[0-9]{1,3}){3})(:[0-9]{1,5})?$',
        description:
          "The host (and optional port) clients put in image references, for example registry.example.com or 10.0.0.5:30500. It is the key of the pull Secrets and the host of the token realm. Empty: the Service's cluster DNS name, <name>.<namespace>.svc:<port>, which most nodes cannot resolve.",
      }),
    ),
    scheme: Type.Optional(
      StringEnum(['http', 'https'], {
        description: 'The scheme clients use. Empty: https when expose.ingress.tlsSecretName is set, otherwise http.',
      }),
    ),
    service: Default(ServiceSchema, {}),
    ingress: Type.Optional(IngressSchema),
  },
  {
    description: 'How clients and nodes reach the registry.',
    'x-kubernetes-validations': [
      {
        rule: '!has(self.ingress) || !self.ingress.enabled || has(self.host)',
        message: 'expose.ingress.enabled needs expose.host, the host name clients use',
        fieldPath: '.host',
        reason: 'FieldValueRequired',
      },
    ],
  },
);

const GrantSchema = Type.Object({
  namespaces: Type.Array(Type.String({ maxLength: 63, pattern: '^(\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$' }), {
    minItems: 1,
    maxItems: 256,
    description: 'Namespaces the grant applies to; * for every namespace.',
  }),
  paths: Type.Array(Type.String({ maxLength: 255, pattern: '^(\\*\\*|[a-z0-9._*-]+)(/(\\*\\*|[a-z0-9._*-]+))*$' }), {
    minItems: 1,
    maxItems: 64,
    description:
      'Repository path patterns: * matches within one path component, a ** component any number of components (library/** is library and everything under it).',
  }),
});

const NAMESPACE_OR_ALL = Type.String({ maxLength: 63, pattern: '^(\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$' });

const PullSecretGrantSchema = Type.Object({
  namespaces: Type.Array(NAMESPACE_OR_ALL, {
    minItems: 1,
    maxItems: 256,
    description: 'Namespaces whose Repositories the grant applies to; * for every namespace.',
  }),
  targetNamespaces: Type.Array(NAMESPACE_OR_ALL, {
    minItems: 1,
    maxItems: 256,
    description: 'Namespaces they may deliver pull Secrets into (and patch ServiceAccounts of); * for every namespace.',
  }),
});

export const TenancySchema = Type.Object(
  {
    namespacePaths: Default(
      Type.Boolean({ description: 'Whether every namespace may claim <namespace>/... (and <namespace> itself).' }),
      true,
    ),
    grants: Type.Optional(Type.Array(GrantSchema, { maxItems: 64, description: 'Further path patterns, granted to named namespaces.' })),
    pullSecretGrants: Type.Optional(
      Type.Array(PullSecretGrantSchema, {
        maxItems: 64,
        description:
          "Deliveries into other namespaces the Registry's owners allow. Without one, a Repository writes pull Secrets only into its own namespace and into namespaces annotated berth.dev/accept-from=<its namespace> (or *).",
      }),
    ),
  },
  {
    description:
      'Which repository paths each namespace may claim with Repository resources, and where their pull Secrets may be delivered. By default a namespace may claim the paths under its own name (team-a may declare team-a/api) and receives pull Secrets only from its own Repositories.',
  },
);

const QUANTITY = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

export const ResourcesSchema = Type.Object(
  {
    requests: Type.Optional(
      MapOf(IntOrString({ pattern: QUANTITY }), {
        description: 'Minimum resources (cpu, memory, ephemeral-storage) the scheduler reserves.',
      }),
    ),
    limits: Type.Optional(
      MapOf(IntOrString({ pattern: QUANTITY }), { description: 'Maximum resources (cpu, memory, ephemeral-storage) a pod may use.' }),
    ),
  },
  { description: "CPU and memory of each registry pod, as in a container's resources." },
);

export const TolerationSchema = Type.Object({
  key: Type.Optional(Type.String({ description: 'Taint key; empty with operator Exists matches every taint.' })),
  operator: Type.Optional(StringEnum(['Exists', 'Equal'], { description: 'Exists or Equal (the default).' })),
  value: Type.Optional(Type.String({ description: 'Taint value to match with operator Equal.' })),
  effect: Type.Optional(
    StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { description: 'Taint effect to match; empty matches all.' }),
  ),
  tolerationSeconds: Type.Optional(
    Type.Integer({ format: 'int64', description: 'How long a pod stays bound after a NoExecute taint appears.' }),
  ),
});

/** `spec.auth.kubernetes`: logins with Kubernetes tokens, authorized by RBAC on `repositories.berth.dev`. */
export const RegistryKubernetesAuthSchema = Type.Object(
  {
    enabled: Default(
      Type.Boolean({
        description:
          'Accept Kubernetes tokens as passwords at /token: a TokenReview authenticates them, a SubjectAccessReview on repositories.berth.dev (verbs pull, push, delete) in the namespace owning the path authorizes each action.',
      }),
      false,
    ),
    audiences: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        maxItems: 8,
        description: "Audiences a token must carry (kubectl create token SA --audience …). Default: the registry's host (its token service name).",
      }),
    ),
    cacheTtl: Default(
      Type.String({
        maxLength: 16,
        pattern: '^([0-9]+(ms|s|m|h))+$',
        description: 'How long review answers are reused, for example 10s: a revoked RoleBinding stops working within this.',
      }),
      '10s',
    ),
  },
  { description: 'Logins with Kubernetes identities; access follows RBAC.' },
);

/** `spec.tls`: the registry pods serve HTTPS themselves, with a referenced Secret or a certificate the operator issues. */
export const RegistryTlsSchema = Type.Object(
  {
    secretName: Type.Optional(
      Type.String({
        maxLength: 253,
        pattern: DNS_SUBDOMAIN,
        description:
          "A kubernetes.io/tls Secret in the Registry's namespace (tls.crt, tls.key), for example from cert-manager: mounted into the pods, referenced and never copied; a renewed certificate is served without a restart. Empty: the operator issues one from its own CA (a Secret in the operator's namespace), for the Service's DNS names, expose.host, and localhost and 127.0.0.1 with a NodePort, renews it before it expires, and publishes the CA certificate in the ConfigMap <registry>-ca (key ca.crt) for nodes and clients to trust.",
      }),
    ),
  },
  {
    description:
      'Serve HTTPS from the registry pods (probes, token realm and pull Secrets follow). Absent: plain HTTP. With an Ingress in front, tell the ingress controller that its backend speaks HTTPS.',
  },
);
