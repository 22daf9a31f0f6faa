/**
 * The steps of an access reconcile that talk to the API: finalizers, Secrets, ServiceAccounts, deletions, status.
 * Each step reads the informer caches and writes only what differs, so a converged Registry costs no writes.
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { kubeTime, objectKey, type KubeObject } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import type { EventRecorder } from '../runtime/events.js';
import { admitRepositories, type Admission } from './admission.js';
import type { AccessPlan } from './plan.js';
import { robotsOf, type AcceptedRepository } from './robots.js';
import { addedPullSecrets, pullSecretPatch } from './service-accounts.js';
import { computeRepositoryStatus, OUTCOMES, type Outcome } from './status.js';
import { RepositoryStatusWriter } from './status-writer.js';
import type { StoredRobot } from './store.js';
import type { AccessCaches } from './reconcile.js';
import { ACCESS_LABELS, COMPONENTS, REASONS, REPOSITORY_FINALIZER, repositorySpec, type Repository } from './types.js';
import { forEachLimit, patchServiceAccount, setFinalizers, type SecretWriter } from './writes.js';

export interface SyncDeps {
  api: KubeApi;
  events: EventRecorder;
  caches: AccessCaches;
  logger: Logger;
  writer: SecretWriter;
  now: () => number;
}

export interface SecretResult {
  outcome: Outcome;
  secret: string;
  message?: string;
}

export interface SecretOutcomes {
  /** By namespace. */
  pull: Map<string, SecretResult>;
  /** By Repository `namespace/name`. */
  push: Map<string, SecretResult>;
  /** The first write that failed (the reconcile is retried with backoff after the status shows it). */
  error?: unknown;
}

/** Writes run this many at once (one Registry may have Secrets in hundreds of namespaces). */
export const WRITE_CONCURRENCY = 16;

const isDeleting = (r: Repository): boolean => r.metadata.deletionTimestamp !== undefined;

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function lastRotation(a: AcceptedRepository | undefined, robots: Readonly<Record<string, StoredRobot>>): string | undefined {
  const times = (a ? robotsOf(a) : []).map((n) => robots[n]?.rotatedAt).filter((t): t is string => t !== undefined);
  return times.length ? kubeTime(new Date(times.sort().at(-1)!)) : undefined;
}

export class SyncSteps {
  readonly #d: SyncDeps;
  readonly #status: RepositoryStatusWriter;

  constructor(deps: SyncDeps) {
    this.#d = deps;
    this.#status = new RepositoryStatusWriter(deps.api, deps.events, deps.logger);
  }

  /** Every Secret the machinery wrote for the Registry `key`. */
  ownSecrets(key: string): KubeObject[] {
    const { namespace, name } = splitKey(key);
    return this.#d.caches.secrets.list().filter((s) => {
      const l = s.metadata.labels ?? {};
      return l[ACCESS_LABELS.sourceRegistry] === name && l[ACCESS_LABELS.sourceRegistryNamespace] === namespace;
    });
  }

  async addFinalizers(repos: readonly Repository[]): Promise<void> {
    for (const repo of repos) {
      const finalizers = repo.metadata.finalizers ?? [];
      if (isDeleting(repo) || finalizers.includes(REPOSITORY_FINALIZER)) continue;
      await setFinalizers(this.#d.api, RESOURCES.repository, repo, [...finalizers, REPOSITORY_FINALIZER]);
    }
  }

  async releaseFinalizers(repos: readonly Repository[]): Promise<void> {
    for (const repo of repos) {
      const finalizers = repo.metadata.finalizers ?? [];
      if (!isDeleting(repo) || !finalizers.includes(REPOSITORY_FINALIZER)) continue;
      await setFinalizers(this.#d.api, RESOURCES.repository, repo, finalizers.filter((f) => f !== REPOSITORY_FINALIZER));
      this.#status.forget(objectKey(repo));
      this.#d.logger.info('removed everything a deleted Repository wrote', { repository: objectKey(repo) });
    }
  }

  /** The Registry does not exist (or is being deleted): remove every credential written for it. */
  async registryGone(key: string, repos: readonly Repository[]): Promise<void> {
    await this.#syncServiceAccounts(key, new Map(), new Map());
    await forEachLimit(this.ownSecrets(key), WRITE_CONCURRENCY, (s) => this.#d.writer.delete(s.metadata.namespace ?? '', s.metadata.name));
    const admissions = admitRepositories(undefined, repos);
    await this.#writeRefusals(key, repos, admissions);
    await this.releaseFinalizers(repos);
  }

  /** The Registry exists but its policy Secret does not yet. */
  async waitingForRegistry(key: string, repos: readonly Repository[]): Promise<void> {
    const waiting: Admission = { accepted: false, reason: REASONS.waitingForRegistry, message: `waiting for Registry ${key} to create its access policy Secret` };
    await this.#writeRefusals(key, repos, new Map(repos.map((r) => [objectKey(r), waiting])));
  }

  async #writeRefusals(key: string, repos: readonly Repository[], admissions: Map<string, Admission>): Promise<void> {
    const now = new Date(this.#d.now());
    for (const repo of repos.filter((r) => !isDeleting(r))) {
      const admission = admissions.get(objectKey(repo))!;
      await this.#status.write(repo, computeRepositoryStatus({ repo, admission, registryKey: key, path: repositorySpec(repo).path, now }));
    }
  }

  /** Writes the planned pull and push Secrets, fixes ServiceAccounts, deletes Secrets nobody wants. */
  async syncSecrets(key: string, plan: AccessPlan): Promise<SecretOutcomes> {
    const result: SecretOutcomes = { pull: new Map(), push: new Map() };
    const write = async (desired: KubeObject | undefined, namespace: string, name: string): Promise<SecretResult> => {
      if (!desired) return { outcome: OUTCOMES.pending, secret: name };
      try {
        return { outcome: await this.#d.writer.ensure(desired, this.#d.caches.secrets.get(`${namespace}/${name}`)), secret: name };
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
    await this.#deleteUnwanted(key, plan).catch((err: unknown) => (result.error ??= err));
    return result;
  }

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

  async #deleteUnwanted(key: string, plan: AccessPlan): Promise<void> {
    const wanted = new Set([...plan.pullSecrets, ...plan.pushSecrets].map((p) => `${p.namespace}/${p.name}`));
    const unwanted = this.ownSecrets(key).filter((s) => {
      const component = s.metadata.labels?.[ACCESS_LABELS.component];
      return component !== COMPONENTS.credentialStore && !wanted.has(objectKey(s));
    });
    await forEachLimit(unwanted, WRITE_CONCURRENCY, (s) => this.#d.writer.delete(s.metadata.namespace ?? '', s.metadata.name));
  }

  async writeStatuses(key: string, repos: readonly Repository[], plan: AccessPlan, outcomes: SecretOutcomes): Promise<void> {
    const now = new Date(this.#d.now());
    const accepted = new Map(plan.accepted.map((a) => [a.key, a]));
    await forEachLimit(
      repos.filter((r) => !isDeleting(r)),
      WRITE_CONCURRENCY,
      async (repo) => {
        const k = objectKey(repo);
        const a = accepted.get(k);
        const status = computeRepositoryStatus({
          repo,
          admission: plan.admissions.get(k)!,
          registryKey: key,
          path: repositorySpec(repo).path,
          selection: a?.selection,
          pullOutcomes: outcomes.pull,
          push: outcomes.push.get(k),
          lastRotationTime: lastRotation(a, plan.credentials.store.robots),
          now,
        });
        await this.#status.write(repo, status);
      },
    );
  }
}
