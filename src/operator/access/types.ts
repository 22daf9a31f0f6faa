/**
 * The Repository custom resource (berth.dev/v1alpha1) as TypeScript types, its defaults (as its CRD declares them in
 * `deploy/crds/berth.dev_repositories.yaml`), and the names, labels and annotations the credential machinery puts
 * on what it writes.
 */
import type { KubeObject } from '../../kube/objects.js';
import type { Condition } from '../../kube/conditions.js';
import { resolveRepositorySpec, type RepositorySpec, type RepositorySpecInput, type RepositoryStatus as StatusSchema } from '../../shared/schemas/repository.js';

export type { LabelSelector, PullSecretSpec, RepositorySpec } from '../../shared/schemas/repository.js';

export type RepositoryStatus = Omit<StatusSchema, 'conditions'> & { conditions?: Condition[] };

/** A Repository as the API returns it; fields the CRD defaults may be missing on objects that never went through it. */
export interface Repository extends KubeObject {
  spec?: Partial<RepositorySpecInput>;
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

/** The spec with every default filled in; the Registry reference resolved against the Repository's namespace (pure). */
export function repositorySpec(repo: Repository): RepositorySpec {
  return resolveRepositorySpec(repo.spec, repo.metadata.namespace ?? '');
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

export const CONDITION_TYPES = { ready: 'Ready', credentialsSynced: 'CredentialsSynced', usersResolved: 'UsersResolved' } as const;

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
  /** A field of spec.access or spec.path would make the policy invalid: the Repository is left out of it. */
  invalidAccess: 'InvalidAccess',
  /** Some selected namespaces did not consent to receive the pull Secret (consent.ts). */
  consentRequired: 'ConsentRequired',
  /** Every user spec.access names is defined by the Registry's users Secret. */
  usersResolved: 'UsersResolved',
  /** spec.access names users the Registry's users Secret does not define (they are left out of the policy). */
  unknownUsers: 'UnknownUsers',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];
