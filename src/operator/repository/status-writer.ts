/**
 * Writes a Repository's status through the status subresource (server-side apply), only when it changed, and records
 * an Event when the Repository is refused or accepted again.
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { objectKey } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import type { EventRecorder } from '../runtime/events.js';
import { CONDITION_TYPES, type Repository, type RepositoryStatus } from './types.js';

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
      'status',
    );
    this.#written.set(key, status);
    this.#recordTransition(repo, written ?? repo.status, status);
  }

  forget(key: string): void {
    this.#written.delete(key);
  }

  #recordTransition(repo: Repository, before: RepositoryStatus | undefined, after: RepositoryStatus): void {
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
