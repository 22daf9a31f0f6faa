/**
 * Writes the status of a Registry's Repositories through the status subresource (server-side apply), each only
 * when it changed, and records an Event when a Repository is refused or accepted again.
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { kubeTime, objectKey } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Admission } from './admission.js';
import type { UsageReportDocument } from '../../shared/schemas/report.js';
import type { AccessPlan } from './plan.js';
import { robotsOf, type AcceptedRepository } from './robots.js';
import { computeRepositoryStatus, type Outcome } from './status.js';
import type { StoredRobot } from './store.js';
import { CONDITION_TYPES, REASONS, repositorySpec, type Repository, type RepositoryStatus } from './types.js';
import { forEachLimit, WRITE_CONCURRENCY } from './writes.js';
import { namedUsers, unknownUsersMessage, type UsersSource } from './users.js';

export interface SecretResult {
  outcome: Outcome;
  secret: string;
  message?: string;
}

/** What happened to the Secrets a reconcile wanted in place. */
export interface SecretOutcomes {
  /** By namespace. */
  pull: Map<string, SecretResult>;
  /** By Repository `namespace/name`. */
  push: Map<string, SecretResult>;
  /** The first write that failed (the reconcile is retried with backoff after the status shows it). */
  error?: unknown;
}

const isDeleting = (r: Repository): boolean => r.metadata.deletionTimestamp !== undefined;

function lastRotation(a: AcceptedRepository | undefined, robots: Readonly<Record<string, StoredRobot>>): string | undefined {
  const times = (a ? robotsOf(a) : []).map((n) => robots[n]?.rotatedAt).filter((t): t is string => t !== undefined);
  return times.length ? kubeTime(new Date(times.sort().at(-1)!)) : undefined;
}

/**
 * Equal as JSON: a computed status may hold undefined fields that the API server's copy simply lacks (so not
 * `isDeepStrictEqual`).
 */
const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** A status without lastTransitionTime, to compare what changed regardless of when. */
function comparable(status: RepositoryStatus | undefined): unknown {
  return status && { ...status, conditions: status.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) };
}

export class RepositoryStatusWriter {
  /** The last status written per key: the informer cache may not have seen our write yet. */
  readonly #written = new Map<string, RepositoryStatus>();

  constructor(
    private readonly api: KubeApi,
    private readonly events: EventRecorder,
    private readonly logger?: Logger,
  ) {}

  async write(repo: Repository, status: RepositoryStatus): Promise<void> {
    const key = objectKey(repo);
    if (sameJson(comparable(status), comparable(repo.status ?? {}))) return;
    const written = this.#written.get(key);
    if (written && sameJson(comparable(status), comparable(written))) return;
    this.logger?.debug('writing status', { repository: key });
    await this.api.apply(
      RESOURCES.repository,
      { apiVersion: repo.apiVersion, kind: repo.kind, metadata: { name: repo.metadata.name, namespace: repo.metadata.namespace }, status },
      { subresource: 'status' },
    );
    this.#written.set(key, status);
    this.#recordTransition(repo, written ?? repo.status, status);
  }

  /** The status of every Repository (not being deleted) of the Registry `key` after a reconcile that ran `plan`. */
  async writeAll(
    key: string,
    repos: readonly Repository[],
    plan: AccessPlan,
    outcomes: SecretOutcomes,
    nowMs: number,
    usersSource?: UsersSource,
    usage?: UsageReportDocument,
  ): Promise<void> {
    const now = new Date(nowMs);
    const accepted = new Map(plan.accepted.map((a) => [a.key, a]));
    await forEachLimit(repos.filter((r) => !isDeleting(r)), WRITE_CONCURRENCY, async (repo) => {
      const k = objectKey(repo);
      const a = accepted.get(k);
      const named = a ? namedUsers(a.spec).length : 0;
      const unknown = plan.unknownUsers.get(k) ?? [];
      const users = named ? { named, unknown, message: unknown.length ? unknownUsersMessage(unknown, usersSource, key) : undefined } : undefined;
      const status = computeRepositoryStatus({
        repo,
        admission: plan.admissions.get(k)!,
        registryKey: key,
        path: repositorySpec(repo).path,
        selection: a?.selection,
        pullOutcomes: outcomes.pull,
        push: outcomes.push.get(k),
        lastRotationTime: lastRotation(a, plan.credentials.store.robots),
        ...(usage && a ? { usage: { observedTime: usage.observedTime, report: usage.repositories[a.spec.path] } } : {}),
        users,
        now,
      });
      await this.write(repo, status);
    });
  }

  /** The status of Repositories that are not in force, with the admission `admissionOf` gives each (by key). */
  async writeRefusals(key: string, repos: readonly Repository[], admissionOf: (repoKey: string) => Admission, nowMs: number): Promise<void> {
    const now = new Date(nowMs);
    for (const repo of repos.filter((r) => !isDeleting(r))) {
      const admission = admissionOf(objectKey(repo));
      await this.write(repo, computeRepositoryStatus({ repo, admission, registryKey: key, path: repositorySpec(repo).path, now }));
    }
  }

  forget(key: string): void {
    this.#written.delete(key);
  }

  #recordTransition(repo: Repository, before: RepositoryStatus | undefined, after: RepositoryStatus): void {
    this.#recordReadyTransition(repo, before, after);
    // Refusals to write into other namespaces, or over Secrets that are not ours, are told as Warnings too.
    const was = before?.conditions?.find((c) => c.type === CONDITION_TYPES.credentialsSynced);
    const is = after.conditions?.find((c) => c.type === CONDITION_TYPES.credentialsSynced);
    const warned: readonly string[] = [REASONS.consentRequired, REASONS.secretNameTaken];
    if (is?.status === 'False' && warned.includes(is.reason) && (was?.reason !== is.reason || was.message !== is.message)) {
      this.events.record(repo, 'Warning', is.reason, is.message);
    }
    const usersWas = before?.conditions?.find((c) => c.type === CONDITION_TYPES.usersResolved);
    const usersIs = after.conditions?.find((c) => c.type === CONDITION_TYPES.usersResolved);
    if (usersIs?.status === 'False' && usersWas?.message !== usersIs.message) this.events.record(repo, 'Warning', usersIs.reason, usersIs.message);
  }

  #recordReadyTransition(repo: Repository, before: RepositoryStatus | undefined, after: RepositoryStatus): void {
    const was = before?.conditions?.find((c) => c.type === CONDITION_TYPES.ready);
    const is = after.conditions?.find((c) => c.type === CONDITION_TYPES.ready);
    if (!is) return;
    if (is.status === 'False' && (was?.status !== 'False' || was.reason !== is.reason)) {
      this.events.record(repo, 'Warning', is.reason, is.message);
    } else if (is.status === 'True' && was?.status === 'False') {
      this.events.record(repo, 'Normal', is.reason, is.message);
    }
  }
}
