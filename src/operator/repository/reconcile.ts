/**
 * Reconcile of one Registry's access (keyed by the Registry, because all its Repositories share one policy and one
 * pull Secret per namespace): read the caches → plan (pure) → write in a safe order → status.
 *
 * Order of writes, so no pull fails on the way:
 * 1. finalizers on the Repositories (before anything is written on their behalf elsewhere); the registry pods'
 *    right to read their policy Secret;
 * 2. the credential store (never hand out or publish a secret the operator could forget);
 * 3. the access policy (the registry learns new secrets before any Secret holds them; revocations take effect);
 * 4. pull and push Secrets, holding only secrets the registry has had time to load;
 * 5. ServiceAccount entries; Secrets nobody wants any more are deleted;
 * 6. status and Events; finally the finalizers of Repositories being deleted are released.
 */
import type { Logger } from '../../shared/logger.js';
import { generateRobotSecret } from '../../shared/policy-secrets.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import { SECRET_KEYS } from '../registry/config-render.js';
import { childNames } from '../registry/naming.js';
import { withDefaults, type Registry } from '../registry/types.js';
import { isDeepStrictEqual } from 'node:util';
import type { Applier } from '../runtime/applier.js';
import { parsePolicyText } from '../../shared/policy-parse.js';
import type { Reconciler, ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Informer } from '../../kube/informer.js';
import { credentialEvents } from './credential-events.js';
import { buildPolicyReader } from './policy-reader.js';
import { planAccess, type AccessPlan } from './plan.js';
import { SyncSteps } from './sync-steps.js';
import { buildStoreSecret, secretText, storeSecretName } from './secrets.js';
import { parseStore, STORE_KEY, type CredentialStore } from './store.js';
import { registryKeyOf, type Namespace, type Repository, type ServiceAccount } from './types.js';
import { patchSecretKey, SecretWriter } from './writes.js';

export interface AccessCaches {
  registries: Informer<Registry>;
  repositories: Informer<Repository>;
  namespaces: Informer<Namespace>;
  /** Secrets labelled `app.kubernetes.io/managed-by=berth-operator`. */
  secrets: Informer<KubeObject>;
  serviceAccounts: Informer<ServiceAccount>;
  /** Roles and RoleBindings labelled `app.kubernetes.io/managed-by=berth-operator`. */
  roles: Informer<KubeObject>;
  roleBindings: Informer<KubeObject>;
}

export interface AccessReconcilerDeps {
  api: KubeApi;
  applier: Applier;
  events: EventRecorder;
  caches: AccessCaches;
  logger: Logger;
  /** How long the registry may take to load a new policy (default 2 s). */
  propagationDelayMs?: number;
  now?: () => number;
  mint?: () => string;
}

export const DEFAULT_PROPAGATION_DELAY_MS = 2_000;

/**
 * Whether the live policy text already says what `desired` says (comments and layout aside): the Registry
 * controller's initial empty policy needs no rewrite while no Repository refers to the Registry.
 */
export function samePolicy(live: string | undefined, desired: string): boolean {
  if (live === desired) return true;
  try {
    return isDeepStrictEqual(parsePolicyText(live ?? '').policy, parsePolicyText(desired).policy);
  } catch {
    return false;
  }
}

export class AccessReconciler implements Reconciler {
  readonly #d: AccessReconcilerDeps;
  readonly #steps: SyncSteps;
  readonly #now: () => number;

  constructor(deps: AccessReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    const writer = new SecretWriter(deps.api, deps.applier, this.#now);
    this.#steps = new SyncSteps({ ...deps, writer, now: this.#now });
  }

  /** Repositories that refer to the Registry `key`. */
  repositoriesOf(key: string): Repository[] {
    return this.#d.caches.repositories.list().filter((r) => registryKeyOf(r) === key);
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const repos = this.repositoriesOf(key);
    const registry = this.#d.caches.registries.get(key);
    await this.#steps.addFinalizers(repos);
    if (!registry || registry.metadata.deletionTimestamp) {
      await this.#steps.registryGone(key, repos);
      return;
    }
    const policySecretName = childNames(registry.metadata.name, withDefaults(registry.spec)).policySecret;
    const policySecret = this.#d.caches.secrets.get(`${registry.metadata.namespace}/${policySecretName}`);
    await this.#ensurePolicyReader(registry, policySecretName);
    if (!policySecret) {
      // The Registry controller creates it; its creation wakes this key again.
      await this.#steps.waitingForRegistry(key, repos);
      return;
    }
    const storeSecret = this.#d.caches.secrets.get(`${registry.metadata.namespace}/${storeSecretName({ namespace: registry.metadata.namespace ?? '', name: registry.metadata.name })}`);
    const before = this.#readStore(registry, storeSecret);
    const plan = planAccess({
      registry,
      repositories: repos,
      namespaces: this.#d.caches.namespaces.list(),
      store: before,
      livePolicy: secretText(policySecret, SECRET_KEYS.policy),
      now: this.#now(),
      mint: this.#d.mint ?? generateRobotSecret,
      propagationDelayMs: this.#d.propagationDelayMs ?? DEFAULT_PROPAGATION_DELAY_MS,
    });
    await this.#writeStoreAndPolicy(registry, plan, storeSecret, policySecret);
    const outcomes = await this.#steps.syncSecrets(key, plan);
    await this.#steps.writeStatuses(key, repos, plan, outcomes);
    for (const e of credentialEvents(registry, plan, before.robots)) this.#d.events.record(e.object, e.type, e.reason, e.message);
    if (outcomes.error) throw outcomes.error;
    await this.#steps.releaseFinalizers(repos);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  /** The registry pods' identity, allowed to read the policy Secret and nothing else. */
  async #ensurePolicyReader(registry: Registry, policySecretName: string): Promise<void> {
    const caches = { ServiceAccount: this.#d.caches.serviceAccounts, Role: this.#d.caches.roles, RoleBinding: this.#d.caches.roleBindings };
    for (const { resource, object } of buildPolicyReader(registry, policySecretName)) {
      const live = caches[object.kind as keyof typeof caches].get(objectKey(object));
      await this.#d.applier.ensure(resource, object, live);
    }
  }

  #readStore(registry: Registry, secret: KubeObject | undefined): CredentialStore {
    const ownedByThisRegistry = secret?.metadata.ownerReferences?.some((o) => o.uid === registry.metadata.uid) ?? false;
    try {
      return parseStore(ownedByThisRegistry ? secretText(secret, STORE_KEY) : undefined);
    } catch (err) {
      this.#d.logger.error('the credential store is unreadable; issuing new credentials', { registry: objectKey(registry), error: (err as Error).message });
      return parseStore(undefined);
    }
  }

  async #writeStoreAndPolicy(registry: Registry, plan: AccessPlan, storeSecret: KubeObject | undefined, policySecret: KubeObject): Promise<void> {
    const desiredStore = buildStoreSecret(registry, plan.credentials.store);
    if (storeSecret && storeSecret.metadata.ownerReferences?.every((o) => o.uid !== registry.metadata.uid)) {
      // Left over from a deleted Registry of the same name (the garbage collector has not removed it yet).
      throw new Error(`Secret ${desiredStore.metadata.name} belongs to an earlier Registry ${objectKey(registry)}; waiting for its removal`);
    }
    const empty = Object.keys(plan.credentials.store.robots).length === 0 && Object.keys(plan.credentials.store.rotateRequests).length === 0;
    if (!storeSecret) {
      if (!empty) await this.#d.api.create(RESOURCES.secret, desiredStore);
    } else if (secretText(storeSecret, STORE_KEY) !== secretText(desiredStore, STORE_KEY)) {
      await this.#d.applier.ensure(RESOURCES.secret, desiredStore, storeSecret);
    }
    if (!samePolicy(secretText(policySecret, SECRET_KEYS.policy), plan.policyYaml)) {
      this.#d.logger.debug('writing the access policy', { registry: objectKey(registry) });
      await patchSecretKey(this.#d.api, policySecret, SECRET_KEYS.policy, plan.policyYaml);
    }
  }
}
