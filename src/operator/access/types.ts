/**
 * The Repository custom resource (berth.dev/v1alpha1) as TypeScript types, its defaults (as its CRD declares them in
 * `deploy/crds/berth.dev_repositories.yaml`), and the names, labels and annotations the credential machinery puts
 * on what it writes.
 */
import type { PolicyAction } from '../../shared/policy.js';
import type { KubeObject } from '../../kube/objects.js';
import type { Condition } from '../../kube/conditions.js';

/** A Kubernetes label selector (`matchLabels` and `matchExpressions`, all of which must hold). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface PullSecretSpec {
  namespaces: string[];
  namespaceSelector?: LabelSelector;
  excludeNamespaces: string[];
  secretName?: string;
  serviceAccounts: string[];
}

export interface RepositorySpec {
  registryRef: { name: string; namespace: string };
  path: string;
  visibility: 'Private' | 'Public';
  access: Array<{ robots: string[]; users: string[]; actions: PolicyAction[] }>;
  /** Undefined: no namespace gets a pull Secret. */
  pullSecret?: PullSecretSpec;
  pushCredentials: { enabled: boolean; secretName?: string };
  rotation: { interval?: string; overlap: string };
}

export interface RepositoryStatus {
  observedGeneration?: number;
  syncedNamespaces?: number;
  lastRotationTime?: string;
  conditions?: Condition[];
}

type Loose<T> = { [K in keyof T]?: T[K] extends Array<infer U> ? Array<Partial<U>> : T[K] extends object ? Loose<T[K]> : T[K] };

/** A Repository as the API returns it; fields the CRD defaults may be missing on objects that never went through it. */
export interface Repository extends KubeObject {
  spec?: Loose<RepositorySpec>;
  status?: RepositoryStatus;
}

/** A Namespace, as far as selection reads it. */
export interface Namespace extends KubeObject {
  status?: { phase?: string };
}

/** A ServiceAccount, as far as the pull-Secret patching reads it. */
export interface ServiceAccount extends KubeObject {
  imagePullSecrets?: Array<{ name?: string }>;
}

/** The CRD's defaults, in one place for the TypeScript side. */
export const REPOSITORY_DEFAULTS = { visibility: 'Private', overlap: '10m' } as const;

/** The spec with every default filled in; the Registry reference resolved against the Repository's namespace (pure). */
export function repositorySpec(repo: Repository): RepositorySpec {
  const s = repo.spec ?? {};
  const ps = s.pullSecret;
  return {
    registryRef: { name: s.registryRef?.name ?? '', namespace: s.registryRef?.namespace || (repo.metadata.namespace ?? '') },
    path: s.path ?? '',
    visibility: s.visibility ?? REPOSITORY_DEFAULTS.visibility,
    access: (s.access ?? []).map((a) => ({ robots: a.robots ?? [], users: a.users ?? [], actions: a.actions ?? [] })),
    pullSecret: ps && {
      namespaces: ps.namespaces ?? [],
      namespaceSelector: ps.namespaceSelector as LabelSelector | undefined,
      excludeNamespaces: ps.excludeNamespaces ?? [],
      secretName: ps.secretName || undefined,
      serviceAccounts: ps.serviceAccounts ?? [],
    },
    pushCredentials: { enabled: s.pushCredentials?.enabled ?? false, secretName: s.pushCredentials?.secretName || undefined },
    rotation: { interval: s.rotation?.interval || undefined, overlap: s.rotation?.overlap || REPOSITORY_DEFAULTS.overlap },
  };
}

/** `namespace/name` of the Registry a Repository belongs to. */
export function registryKeyOf(repo: Repository): string {
  const { registryRef } = repositorySpec(repo);
  return `${registryRef.namespace}/${registryRef.name}`;
}

/** Removes everything a Repository wrote elsewhere before the Repository goes. */
export const REPOSITORY_FINALIZER = 'berth.dev/credentials';

export const ACCESS_ANNOTATIONS = {
  /** On a Repository: set it to a new value to rotate every credential of the Repository now. */
  rotate: 'berth.dev/rotate',
  /** On a pull Secret: the Repositories (`namespace/name`) whose pulls it serves. */
  sourceRepositories: 'berth.dev/source-repositories',
  /** On a ServiceAccount: JSON map `registry namespace/name` → name of the pull Secret the operator added. */
  addedPullSecrets: 'berth.dev/added-image-pull-secrets',
} as const;

export const ACCESS_LABELS = {
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  /** The Registry whose credential a Secret holds (its name and namespace: pull Secrets live in other namespaces). */
  sourceRegistry: 'berth.dev/source-registry',
  sourceRegistryNamespace: 'berth.dev/source-registry-namespace',
  /** On a push Secret: the Repository it belongs to. */
  sourceRepository: 'berth.dev/source-repository',
} as const;

export const COMPONENTS = { pullSecret: 'pull-secret', pushSecret: 'push-secret', credentialStore: 'credential-store' } as const;

/** Label selector of every Secret the credential machinery writes. */
export const ACCESS_SECRET_SELECTOR = `${ACCESS_LABELS.managedBy}=berth-operator,${ACCESS_LABELS.sourceRegistry}`;

export const CONDITION_TYPES = { ready: 'Ready', credentialsSynced: 'CredentialsSynced' } as const;

export const REASONS = {
  accepted: 'Accepted',
  invalidPath: 'InvalidPath',
  pathNotAllowed: 'PathNotAllowed',
  pathConflict: 'PathConflict',
  registryNotFound: 'RegistryNotFound',
  waitingForRegistry: 'WaitingForRegistry',
  synced: 'Synced',
  noNamespaces: 'NoNamespacesSelected',
  pending: 'Pending',
  secretNameTaken: 'SecretNameTaken',
  writeFailed: 'WriteFailed',
  notAccepted: 'NotAccepted',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];
