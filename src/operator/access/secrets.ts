/**
 * The Secrets the credential machinery writes (pure builders): the pull Secret of a namespace, the push Secret of a
 * Repository, and the Registry's credential store. Each is labelled back to the Registry it serves; pull Secrets
 * also name the Repositories they serve in an annotation.
 */
import type { KubeObject, OwnerReference } from '../../kube/objects.js';
import { boundedObjectName, MANAGED_BY } from '../registry/naming.js';
import type { Registry } from '../registry/types.js';
import { serializeStore, STORE_KEY, type CredentialStore } from './store.js';
import { ACCESS_ANNOTATIONS, ACCESS_LABELS, COMPONENTS, type Repository } from './types.js';

/** `namespace` and `name` of a Registry. */
export interface RegistryRef {
  namespace: string;
  name: string;
}

export const DOCKER_CONFIG_KEY = '.dockerconfigjson';
export const DOCKER_CONFIG_TYPE = 'kubernetes.io/dockerconfigjson';

/** Default name of the pull Secret a Registry puts into each selected namespace. */
export const defaultPullSecretName = (registry: RegistryRef): string => boundedObjectName(registry.name, '-pull');
/** Default name of a Repository's push Secret. */
export const defaultPushSecretName = (repository: string): string => boundedObjectName(repository, '-push');
/** The credential store Secret of a Registry. */
export const storeSecretName = (registry: RegistryRef): string => boundedObjectName(registry.name, '-credentials');

/** The `.dockerconfigjson` document for one registry host: `auths` → host → username, password, auth. */
export function dockerConfigJson(host: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return JSON.stringify({ auths: { [host]: { username, password, auth } } });
}

function labels(registry: RegistryRef, component: string): Record<string, string> {
  return {
    [ACCESS_LABELS.managedBy]: MANAGED_BY,
    [ACCESS_LABELS.partOf]: 'berth',
    [ACCESS_LABELS.component]: component,
    [ACCESS_LABELS.sourceRegistry]: registry.name,
    [ACCESS_LABELS.sourceRegistryNamespace]: registry.namespace,
  };
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export interface PullSecretInputs {
  registry: RegistryRef;
  /** The host in image references (the `auths` key). */
  host: string;
  namespace: string;
  name: string;
  robot: string;
  secret: string;
  /** `namespace/name` of the Repositories whose pulls it serves. */
  sources: string[];
}

export function buildPullSecret(i: PullSecretInputs): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: i.name,
      namespace: i.namespace,
      labels: labels(i.registry, COMPONENTS.pullSecret),
      annotations: { [ACCESS_ANNOTATIONS.sourceRepositories]: i.sources.join(',') },
    },
    type: DOCKER_CONFIG_TYPE,
    data: { [DOCKER_CONFIG_KEY]: b64(dockerConfigJson(i.host, i.robot, i.secret)) },
  };
}

export interface PushSecretInputs {
  registry: RegistryRef;
  host: string;
  repository: Repository;
  path: string;
  name: string;
  robot: string;
  secret: string;
}

function ownedBy(obj: KubeObject): OwnerReference {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, uid: obj.metadata.uid ?? '', controller: true };
}

/**
 * A Repository's push Secret for CI: a docker config (for `--authfile`, `DOCKER_CONFIG`) plus the same credential
 * as plain keys (`username`, `password`, `registry`, `repository`) for tools that take them one by one.
 */
export function buildPushSecret(i: PushSecretInputs): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: i.name,
      namespace: i.repository.metadata.namespace,
      labels: labels(i.registry, COMPONENTS.pushSecret),
      annotations: { [ACCESS_ANNOTATIONS.sourceRepositories]: `${i.repository.metadata.namespace}/${i.repository.metadata.name}` },
      ownerReferences: [ownedBy(i.repository)],
    },
    type: DOCKER_CONFIG_TYPE,
    data: {
      [DOCKER_CONFIG_KEY]: b64(dockerConfigJson(i.host, i.robot, i.secret)),
      username: b64(i.robot),
      password: b64(i.secret),
      registry: b64(i.host),
      repository: b64(`${i.host}/${i.path}`),
    },
  };
}

/** The Registry's credential store, owned by the Registry (deleted with it). */
export function buildStoreSecret(registry: Registry, store: CredentialStore): KubeObject {
  const ref = { namespace: registry.metadata.namespace ?? '', name: registry.metadata.name };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: storeSecretName(ref),
      namespace: ref.namespace,
      labels: labels(ref, COMPONENTS.credentialStore),
      ownerReferences: [ownedBy(registry)],
    },
    type: 'Opaque',
    data: { [STORE_KEY]: b64(serializeStore(store)) },
  };
}

/** The text of one key of a Secret (undefined when absent). */
export function secretText(secret: KubeObject | undefined, key: string): string | undefined {
  const data = (secret as { data?: Record<string, string> } | undefined)?.data?.[key];
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
}
