/**
 * The Repository custom resource (berth.dev/v1alpha1): the one schema from which the CRD in `deploy/crds` is
 * generated (`npm run generate:crds`) and the operator's types and defaults are derived.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Default, MapOf, StringEnum, applyDefaults, type Defaulted } from './kit.js';
import { ACCOUNT_NAME, POLICY_ACTIONS } from '../policy.js';
import { Conditions, DNS_LABEL, DNS_SUBDOMAIN, KubeObjectSchema, ObservedGeneration } from './k8s.js';
import { ImmutableTagsSchema, QuotaSchema, RepositoryUsageSchema, RetentionSchema, RetentionStatusSchema } from './repository-lifecycle.js';


const DURATION = '^([0-9]+(s|m|h))+$';

const AccessRuleSchema = Type.Object(
  {
    robots: Type.Optional(
      Type.Array(Type.String({ maxLength: 128, pattern: ACCOUNT_NAME.source }), {
        maxItems: 64,
        description: "Robot account names (as the access policy accepts them: letters, digits and . _ @ + -).",
      }),
    ),
    users: Type.Optional(
      Type.Array(Type.String({ maxLength: 128, pattern: ACCOUNT_NAME.source }), {
        maxItems: 64,
        description: "User names (as the access policy accepts them: letters, digits and . _ @ + -).",
      }),
    ),
    actions: Type.Array(StringEnum(POLICY_ACTIONS), {
      minItems: 1,
      maxItems: 3,
      'x-kubernetes-list-type': 'set',
      description: 'What they may do.',
    }),
  },
  { 'x-kubernetes-validations': [{ rule: 'has(self.robots) || has(self.users)', message: 'an access rule needs robots or users' }] },
);

export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(MapOf(Type.String(), { description: 'Labels a namespace must have.' })),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.String({ description: 'The label key.' }),
          operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'], { description: 'In, NotIn, Exists or DoesNotExist.' }),
          values: Type.Optional(Type.Array(Type.String(), { description: 'Values for In and NotIn.' })),
        }),
        { maxItems: 16, description: 'Label requirements, as in any Kubernetes label selector.' },
      ),
    ),
  },
  { description: 'Namespaces selected by their labels (namespaces labelled later are included).' },
);

const PullSecretSchema = Type.Object(
  {
    namespaces: Type.Optional(
      Type.Array(Type.String({ maxLength: 63, pattern: DNS_LABEL }), {
        maxItems: 256,
        'x-kubernetes-list-type': 'set',
        description: 'Namespaces selected by name.',
      }),
    ),
    namespaceSelector: Type.Optional(LabelSelectorSchema),
    excludeNamespaces: Type.Optional(
      Type.Array(Type.String({ maxLength: 63 }), {
        maxItems: 256,
        'x-kubernetes-list-type': 'set',
        description: 'Namespaces never selected, even when a name or the selector matches.',
      }),
    ),
    secretName: Type.Optional(
      Type.String({
        maxLength: 253,
        pattern: DNS_SUBDOMAIN,
        description: 'Name of the pull Secret in each namespace. Empty means <registry name>-pull.',
      }),
    ),
    serviceAccounts: Type.Optional(
      Type.Array(Type.String({ maxLength: 253 }), {
        maxItems: 32,
        'x-kubernetes-list-type': 'set',
        description:
          'ServiceAccounts (in each selected namespace, including ones created later) whose imagePullSecrets get the pull Secret added. Entries of others are never removed.',
      }),
    ),
  },
  {
    description:
      'Namespaces whose pods pull this repository. Each selected namespace gets one kubernetes.io/dockerconfigjson Secret per Registry, with a robot that may pull exactly the repositories that selected it.',
    'x-kubernetes-validations': [
      { rule: 'has(self.namespaces) || has(self.namespaceSelector)', message: 'pullSecret needs namespaces, a namespaceSelector, or both' },
    ],
  },
);

export const RepositorySpecSchema = Type.Object(
  {
    registryRef: Type.Object(
      {
        name: Type.String({ maxLength: 253, description: 'Name of the Registry.' }),
        namespace: Type.Optional(
          Type.String({ maxLength: 63, pattern: DNS_LABEL, description: "Namespace of the Registry. Empty means the Repository's own namespace." }),
        ),
      },
      { description: 'The Registry that hosts this repository.' },
    ),
    path: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$',
      description:
        'The repository name as in image references (team-a/api in registry.example.com/team-a/api), following the OCI name grammar. By default a namespace may only claim paths under its own name.',
      'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec.path cannot change; create another Repository instead' }],
    }),
    visibility: Default(StringEnum(['Private', 'Public'], { description: 'Public allows anonymous pulls; Private needs a credential.' }), 'Private'),
    access: Type.Optional(
      Type.Array(AccessRuleSchema, {
        maxItems: 64,
        description: "Further principals (robots and users of the Registry's access policy) and what they may do.",
      }),
    ),
    pullSecret: Type.Optional(PullSecretSchema),
    pushCredentials: Type.Optional(
      Type.Object(
        {
          enabled: Default(Type.Boolean({ description: 'Create the push robot and its Secret.' }), false),
          secretName: Type.Optional(Type.String({ maxLength: 253, description: 'Name of the Secret. Empty means <repository name>-push.' })),
        },
        { description: "A push robot for CI, written as a Secret in the Repository's own namespace." },
      ),
    ),
    rotation: Type.Optional(
      Type.Object(
        {
          interval: Type.Optional(
            Type.String({ maxLength: 16, pattern: DURATION, description: 'Rotate credentials this often, for example 720h. Empty means only on demand.' }),
          ),
          overlap: Default(
            Type.String({ maxLength: 16, pattern: DURATION, description: 'How long a replaced credential keeps working, so no running pull fails.' }),
            '10m',
          ),
        },
        {
          description:
            'Credential rotation. A rotation can also be asked for at any time by setting the annotation berth.dev/rotate to a new value.',
          'x-kubernetes-validations': [
            { rule: '!has(self.interval) || duration(self.overlap) < duration(self.interval)', message: 'rotation.overlap must be shorter than rotation.interval' },
          ],
        },
      ),
    ),
    retention: Type.Optional(RetentionSchema),
    quota: Type.Optional(QuotaSchema),
    immutableTags: Type.Optional(ImmutableTagsSchema),
  },
  { description: 'The repository, its access and its storage lifecycle.' },
);

export const RepositoryStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    syncedNamespaces: Type.Optional(
      Type.Integer({ format: 'int32', description: 'Namespaces that hold a current pull Secret for this repository.' }),
    ),
    lastRotationTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the credentials were last rotated.' })),
    usage: Type.Optional(RepositoryUsageSchema),
    retention: Type.Optional(RetentionStatusSchema),
    conditions: Type.Optional(Conditions('Ready, CredentialsSynced and (when spec.access names users) UsersResolved, each with a reason and a message.', 'Ready, CredentialsSynced or UsersResolved.')),
  },
  { description: 'What the operator observed. Written by the operator only.' },
);

export const RepositorySchema = KubeObjectSchema(
  'Repository',
  'A repository in a Registry: its path, who may pull and push it, and which namespaces get a pull Secret so their pods can pull from it through imagePullSecrets.',
  RepositorySpecSchema,
  RepositoryStatusSchema,
);

/** A Repository spec as written; the API server only fills in the defaults. */
export type RepositorySpecInput = Static<typeof RepositorySpecSchema>;
export type RepositoryStatus = Static<typeof RepositoryStatusSchema>;
export type LabelSelector = Static<typeof LabelSelectorSchema>;
type Spec = Defaulted<typeof RepositorySpecSchema>;
type Filled<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };

/** A pull Secret section with absent lists as empty ones. */
export type PullSecretSpec = Filled<NonNullable<Spec['pullSecret']>, 'namespaces' | 'excludeNamespaces' | 'serviceAccounts'>;

/** A Repository spec with every default filled in, absent lists empty and the Registry reference resolved. */
export type RepositorySpec = Filled<Omit<Spec, 'registryRef' | 'access' | 'pullSecret'>, 'pushCredentials' | 'rotation'> & {
  registryRef: Required<Spec['registryRef']>;
  access: Array<Filled<NonNullable<Spec['access']>[number], 'robots' | 'users'>>;
  /** Undefined: no namespace gets a pull Secret. */
  pullSecret?: PullSecretSpec;
};

/**
 * The spec with the schema's defaults filled in, absent lists as empty ones, and the Registry's namespace resolved
 * against `namespace`, the Repository's own (pure).
 */
export function resolveRepositorySpec(spec: Partial<RepositorySpecInput> | undefined, namespace: string): RepositorySpec {
  const s = applyDefaults(RepositorySpecSchema, spec);
  const ps = s.pullSecret;
  return {
    ...s,
    registryRef: { name: s.registryRef?.name ?? '', namespace: s.registryRef?.namespace ?? namespace },
    path: s.path ?? '',
    access: (s.access ?? []).map((a) => ({ ...a, robots: a.robots ?? [], users: a.users ?? [], actions: a.actions ?? [] })),
    pullSecret: ps && { ...ps, namespaces: ps.namespaces ?? [], excludeNamespaces: ps.excludeNamespaces ?? [], serviceAccounts: ps.serviceAccounts ?? [] },
    pushCredentials: applyDefaults(RepositorySpecSchema.properties.pushCredentials, s.pushCredentials),
    rotation: applyDefaults(RepositorySpecSchema.properties.rotation, s.rotation),
  };
}
