/**
 * Reconcile of one Registry's access (keyed by the Registry, because all its Repositories share one policy and one
 * pull Secret per namespace): read the caches → plan (pure, `plan.ts`) → write in a safe order → status. Read
 * {@link AccessReconciler.reconcile} top-down: each step below it is one method, in the order it runs; the
 * one-request writes are in `writes.ts`, the Repository status in `status-writer.ts`.
 *
 * Order of writes, so no pull fails on the way:
 * 1. finalizers on the Repositories (before anything is written on their behalf elsewhere);
 * 2. the credential store (never hand out or publish a secret the operator could forget);
 * 3. the access policy: the content of the Registry's policy Secret, the one field of that object this controller
 *    writes (the Registry controller owns the object); the registry learns new secrets before any Secret holds
 *    them, and revocations take effect;
 * 4. pull and push Secrets, holding only secrets the registry has had time to load;
 * 5. ServiceAccount entries; Secrets nobody wants any more are deleted;
 * 6. status and Events; finally the finalizers of Repositories being deleted are released.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../shared/logger.js';
import { parsePolicyText } from '../../shared/policy-parse.js';
import { generateRobotSecret } from '../../shared/policy-secrets.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { Informer } from '../../kube/informer.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import { SECRET_KEYS } from '../registry/config-render.js';
import { childNames } from '../registry/naming.js';
import { withDefaults, type Registry } from '../registry/types.js';
import { ReportReader, type ConfigMapObject } from '../registry/reports.js';
import { REPORT_KEYS, UsageReportDocumentSchema, type UsageReportDocument } from '../../shared/schemas/report.js';
import type { Applier } from '../runtime/applier.js';
import type { Reconciler, ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { admitRepositories } from './admission.js';
import { credentialEvents } from './credential-events.js';
import type { OwnerKey } from './ownership.js';
import { ownerKeyOf, planAccess, type AccessPlan } from './plan.js';
import { buildStoreSecret, secretText, storeSecretName } from './secrets.js';
import { addedPullSecrets, pullSecretPatch } from './service-accounts.js';
import { OUTCOMES } from './status.js';
import { RepositoryStatusWriter, type SecretOutcomes, type SecretResult } from './status-writer.js';
import { parseStore, STORE_KEY, type CredentialStore } from './store.js';
import { ACCESS_LABELS, COMPONENTS, REASONS, REPOSITORY_FINALIZER, registryKeyOf, type Namespace, type Repository, type ServiceAccount } from './types.js';
import { hasStatus } from '../../kube/api-error.js';
import { parseUsers, USERS_KEY, type UsersSource } from './users.js';
import { applyPolicyText, forEachLimit, isOurs, patchServiceAccount, SecretWriter, setFinalizers, WRITE_CONCURRENCY } from './writes.js';

export interface AccessCaches {
  registries: Informer<Registry>;
  repositories: Informer<Repository>;
  namespaces: Informer<Namespace>;
  /** Secrets labelled `app.kubernetes.io/managed-by=berth-operator`. */
  secrets: Informer<KubeObject>;
  serviceAccounts: Informer<ServiceAccount>;
  /** Report ConfigMaps of the Registries (the registry pods publish usage there); absent: no usage in status. */
  configMaps?: Informer<ConfigMapObject>;
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
  /** How often a users Secret is read again (default {@link USERS_RECHECK_MS}). */
  usersRecheckMs?: number;
}

export const DEFAULT_PROPAGATION_DELAY_MS = 2_000;

/**
 * How often a Registry with spec.auth.usersSecret reads that Secret again. It is a Secret of the user's (not
 * labelled as Berth's, so not in the Secrets informer): it is read with one GET per reconcile, and this bounds how
 * long a person removed from it keeps access.
 */
export const USERS_RECHECK_MS = 30_000;

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

const isDeleting = (r: Repository): boolean => r.metadata.deletionTimestamp !== undefined;

export class AccessReconciler implements Reconciler {
  readonly #d: AccessReconcilerDeps;
  readonly #now: () => number;
  readonly #writer: SecretWriter;
  readonly #status: RepositoryStatusWriter;
  readonly #reports: ReportReader;
  /** The ownership key last used per Registry (deleting a Registry's Secrets after its store is gone needs it). */
  readonly #lastOwner = new Map<string, OwnerKey>();

  constructor(deps: AccessReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#writer = new SecretWriter(deps.api, deps.applier, this.#now);
    this.#status = new RepositoryStatusWriter(deps.api, deps.events, deps.logger);
    this.#reports = new ReportReader(deps.logger);
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const repos = this.#d.caches.repositories.list().filter((r) => registryKeyOf(r) === key);
    const registry = this.#d.caches.registries.get(key);
    await this.#addFinalizers(repos);
    if (!registry || registry.metadata.deletionTimestamp) return this.#registryGone(key, repos);
    const spec = withDefaults(registry.spec);
    const ns = registry.metadata.namespace ?? '';
    const policySecret = this.#d.caches.secrets.get(`${ns}/${childNames(registry.metadata.name, spec).policySecret}`);
    if (!policySecret) {
      // The Registry controller creates it; its creation wakes this key again.
      const message = `waiting for Registry ${key} to create its access policy Secret`;
      return this.#status.writeRefusals(key, repos, () => ({ accepted: false, reason: REASONS.waitingForRegistry, message }), this.#now());
    }
    const storeSecret = this.#d.caches.secrets.get(`${ns}/${storeSecretName({ namespace: ns, name: registry.metadata.name })}`);
    const before = this.#readStore(registry, storeSecret);
    const users = await this.#readUsers(registry, spec.auth.usersSecret);
    const plan = planAccess({
      registry,
      registrySpec: spec,
      repositories: repos,
      namespaces: this.#d.caches.namespaces.list(),
      store: before,
      livePolicy: secretText(policySecret, SECRET_KEYS.policy),
      now: this.#now(),
      mint: this.#d.mint ?? generateRobotSecret,
      propagationDelayMs: this.#d.propagationDelayMs ?? DEFAULT_PROPAGATION_DELAY_MS,
      users,
    });
    await this.#writeStore(registry, plan, storeSecret);
    await this.#writePolicy(registry, plan, policySecret);
    const outcomes = await this.#syncSecrets(key, plan, ownerKeyOf(registry, plan.credentials.store));
    await this.#status.writeAll(key, repos, plan, outcomes, this.#now(), users, this.#usageReport(registry));
    for (const e of credentialEvents(registry, plan, before.robots)) this.#d.events.record(e.object, e.type, e.reason, e.message);
    if (outcomes.error) throw outcomes.error;
    await this.#releaseFinalizers(repos);
    const requeue = users ? Math.min(plan.requeueAfterMs ?? USERS_RECHECK_MS, this.#d.usersRecheckMs ?? USERS_RECHECK_MS) : plan.requeueAfterMs;
    return requeue === undefined ? undefined : { requeueAfterMs: requeue };
  }

  /**
   * The users of spec.auth.usersSecret (one GET: the Secret is the user's, outside the informer of Berth's Secrets);
   * a line that cannot be used is skipped and told in a Warning Event on the Registry (never the line itself).
   */
  async #readUsers(registry: Registry, name: string | undefined): Promise<UsersSource | undefined> {
    if (!name) return undefined;
    const namespace = registry.metadata.namespace ?? '';
    const source: UsersSource = { secret: `${namespace}/${name}`, found: false, users: [], problems: [] };
    let secret: KubeObject;
    try {
      secret = await this.#d.api.get<KubeObject>(RESOURCES.secret, namespace, name);
    } catch (err) {
      if (hasStatus(err, 404)) return source;
      throw err;
    }
    const parsed = parseUsers(secretText(secret, USERS_KEY) ?? '');
    if (parsed.problems.length) {
      const message = `Secret ${source.secret} (spec.auth.usersSecret): skipped ${parsed.problems.slice(0, 5).join('; ')}`;
      this.#d.events.record(registry, 'Warning', 'InvalidUsers', message);
    }
    return { ...source, found: true, ...parsed };
  }

  /** The usage the Registry's pods published in its report ConfigMap (validated; undefined when absent or invalid). */
  #usageReport(registry: Registry): UsageReportDocument | undefined {
    const ns = registry.metadata.namespace ?? '';
    const configMap = this.#d.caches.configMaps?.get(`${ns}/${childNames(registry.metadata.name, withDefaults(registry.spec)).reportConfigMap}`);
    return this.#reports.read(configMap, REPORT_KEYS.usage, UsageReportDocumentSchema);
  }

  /** Step 1: every Repository carries the finalizer before anything is written on its behalf. */
  async #addFinalizers(repos: readonly Repository[]): Promise<void> {
    for (const repo of repos) {
      const finalizers = repo.metadata.finalizers ?? [];
      if (isDeleting(repo) || finalizers.includes(REPOSITORY_FINALIZER)) continue;
      await setFinalizers(this.#d.api, RESOURCES.repository, repo, [...finalizers, REPOSITORY_FINALIZER]);
    }
  }

  /** The Registry does not exist (or is being deleted): remove every credential written for it. */
  async #registryGone(key: string, repos: readonly Repository[]): Promise<void> {
    await this.#syncServiceAccounts(key, new Map(), new Map());
    const owner = this.#lastOwner.get(key) ?? this.#ownerFromStore(key);
    await forEachLimit(this.#ownSecrets(key, owner), WRITE_CONCURRENCY, (s) => this.#writer.delete(s.metadata.namespace ?? '', s.metadata.name));
    const admissions = admitRepositories(undefined, repos);
    await this.#status.writeRefusals(key, repos, (k) => admissions.get(k)!, this.#now());
    await this.#releaseFinalizers(repos);
  }

  /** The ownership key from a (gone) Registry's store Secret, while it is still there: its owner's uid and marker key. */
  #ownerFromStore(key: string): OwnerKey | undefined {
    const slash = key.indexOf('/');
    const ref = { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    const secret = this.#d.caches.secrets.get(`${ref.namespace}/${storeSecretName(ref)}`);
    const registryUid = secret?.metadata.ownerReferences?.find((o) => o.kind === 'Registry')?.uid;
    try {
      const markerKey = parseStore(secretText(secret, STORE_KEY)).markerKey;
      return registryUid && markerKey ? { registryUid, markerKey } : undefined;
    } catch {
      return undefined;
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

  /** Step 2: the credential store, written only when its text changes (created only once it holds something). */
  async #writeStore(registry: Registry, plan: AccessPlan, storeSecret: KubeObject | undefined): Promise<void> {
    const desired = buildStoreSecret(registry, plan.credentials.store);
    if (storeSecret && storeSecret.metadata.ownerReferences?.every((o) => o.uid !== registry.metadata.uid)) {
      // Left over from a deleted Registry of the same name (the garbage collector has not removed it yet).
      throw new Error(`Secret ${desired.metadata.name} belongs to an earlier Registry ${objectKey(registry)}; waiting for its removal`);
    }
    const store = plan.credentials.store;
    const empty = Object.keys(store.robots).length === 0 && Object.keys(store.rotateRequests).length === 0;
    if (!storeSecret) {
      if (!empty) await this.#d.api.create(RESOURCES.secret, desired);
    } else if (secretText(storeSecret, STORE_KEY) !== secretText(desired, STORE_KEY)) {
      await this.#d.applier.ensure(RESOURCES.secret, desired, storeSecret);
    }
  }

  /**
   * Step 3: the policy text, when its meaning changed; checked with the registry's own parser first, so the registry
   * is never handed a policy it would refuse (each Repository's part was checked alone in the plan already).
   */
  async #writePolicy(registry: Registry, plan: AccessPlan, policySecret: KubeObject): Promise<void> {
    if (samePolicy(secretText(policySecret, SECRET_KEYS.policy), plan.policyYaml)) return;
    try {
      parsePolicyText(plan.policyYaml);
    } catch (err) {
      throw new Error(`refusing to write a policy the registry would refuse: ${(err as Error).message}`);
    }
    this.#d.logger.debug('writing the access policy', { registry: objectKey(registry) });
    await applyPolicyText(this.#d.api, policySecret, SECRET_KEYS.policy, plan.policyYaml);
  }

  /** Steps 4 and 5: the planned pull and push Secrets, ServiceAccount entries, deletion of Secrets nobody wants. */
  async #syncSecrets(key: string, plan: AccessPlan, owner: OwnerKey): Promise<SecretOutcomes> {
    this.#lastOwner.set(key, owner);
    const result: SecretOutcomes = { pull: new Map(), push: new Map() };
    const write = async (desired: KubeObject | undefined, namespace: string, name: string): Promise<SecretResult> => {
      if (!desired) return { outcome: OUTCOMES.pending, secret: name };
      try {
        return { outcome: await this.#writer.ensure(desired, this.#d.caches.secrets.get(`${namespace}/${name}`), owner), secret: name };
      } catch (err) {
        result.error ??= err;
        return { outcome: OUTCOMES.failed, secret: name, message: (err as Error).message };
      }
    };
    await forEachLimit(plan.pullSecrets, WRITE_CONCURRENCY, async (p) => {
      result.pull.set(p.namespace, await write(p.object, p.namespace, p.name));
    });
    for (const p of plan.pushSecrets) result.push.set(p.repositoryKey, await write(p.object, p.namespace, p.name));
    const wantedSa = new Map(plan.pullSecrets.map((p) => [p.namespace, p]));
    await this.#syncServiceAccounts(key, wantedSa, result.pull).catch((err: unknown) => (result.error ??= err));
    await this.#deleteUnwanted(key, plan, owner).catch((err: unknown) => (result.error ??= err));
    return result;
  }

  /** Step 5: each ServiceAccount lists this Registry's pull Secret exactly when it should (only our entries change). */
  async #syncServiceAccounts(
    key: string,
    plans: ReadonlyMap<string, AccessPlan['pullSecrets'][number]>,
    outcomes: ReadonlyMap<string, SecretResult>,
  ): Promise<void> {
    const changes = this.#d.caches.serviceAccounts.list().flatMap((sa) => {
      const ns = sa.metadata.namespace ?? '';
      const p = plans.get(ns);
      const outcome = outcomes.get(ns)?.outcome;
      const usable = outcome === OUTCOMES.synced || outcome === OUTCOMES.pending;
      const want = p && usable && p.serviceAccounts.includes(sa.metadata.name) ? p.name : undefined;
      if (want === undefined && addedPullSecrets(sa)[key] === undefined) return [];
      const ops = pullSecretPatch(sa, key, want);
      return ops ? [{ ns, name: sa.metadata.name, ops }] : [];
    });
    await forEachLimit(changes, WRITE_CONCURRENCY, (c) => patchServiceAccount(this.#d.api, c.ns, c.name, c.ops));
  }

  async #deleteUnwanted(key: string, plan: AccessPlan, owner: OwnerKey): Promise<void> {
    const wanted = new Set([...plan.pullSecrets, ...plan.pushSecrets].map((p) => `${p.namespace}/${p.name}`));
    const unwanted = this.#ownSecrets(key, owner).filter((s) => {
      const component = s.metadata.labels?.[ACCESS_LABELS.component];
      return component !== COMPONENTS.credentialStore && !wanted.has(objectKey(s));
    });
    await forEachLimit(unwanted, WRITE_CONCURRENCY, (s) => this.#writer.delete(s.metadata.namespace ?? '', s.metadata.name));
  }

  /**
   * Every Secret this controller wrote for the Registry `key`: labelled for it and proven ours with `owner` (a
   * Secret merely labelled like ours is someone else's and is never deleted). Without a known owner key (a Registry
   * deleted before this process reconciled it), nothing is proven: the pull Secrets stay, and are logged.
   */
  #ownSecrets(key: string, owner: OwnerKey | undefined): KubeObject[] {
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const labelled = this.#d.caches.secrets.list().filter((s) => {
      const l = s.metadata.labels ?? {};
      return l[ACCESS_LABELS.sourceRegistry] === name && l[ACCESS_LABELS.sourceRegistryNamespace] === namespace;
    });
    const ours = labelled.filter((s) => isOurs(s, owner));
    const foreign = labelled.filter((s) => !ours.includes(s) && s.metadata.labels?.[ACCESS_LABELS.component] !== COMPONENTS.credentialStore);
    if (foreign.length) {
      this.#d.logger.info('leaving alone Secrets labelled for the Registry without its ownership proof', { registry: key, secrets: foreign.map(objectKey) });
    }
    return ours;
  }

  /** Step 6 (last): Repositories being deleted let go, now that everything they wrote is gone. */
  async #releaseFinalizers(repos: readonly Repository[]): Promise<void> {
    for (const repo of repos) {
      const finalizers = repo.metadata.finalizers ?? [];
      if (!isDeleting(repo) || !finalizers.includes(REPOSITORY_FINALIZER)) continue;
      await setFinalizers(this.#d.api, RESOURCES.repository, repo, finalizers.filter((f) => f !== REPOSITORY_FINALIZER));
      this.#status.forget(objectKey(repo));
      this.#d.logger.info('removed everything a deleted Repository wrote', { repository: objectKey(repo) });
    }
  }
}
