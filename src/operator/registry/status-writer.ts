/**
 * Writes a Registry's status through the status subresource (server-side apply), only when it changed, and
 * records an Event for each transition a user cares about (became available, degraded, recovered, a garbage
 * collection run completed).
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { objectKey } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import type { EventRecorder } from '../runtime/events.js';
import { gcRunEvent } from './gc.js';
import { computeRegistryStatus, CONDITION_TYPES, findCondition, type StatusInputs } from './status.js';
import type { Registry, RegistryStatus } from './types.js';

/**
 * Equal as JSON: a computed status may hold undefined fields that the API server's copy simply lacks (so not
 * `isDeepStrictEqual`).
 */
const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** A status without lastTransitionTime, to compare what changed regardless of when. */
function comparable(status: RegistryStatus | undefined): unknown {
  return status && { ...status, conditions: status.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) };
}

export class RegistryStatusWriter {
  /** The last status written per key: the informer cache may not have seen our write yet. */
  readonly #written = new Map<string, RegistryStatus>();

  constructor(
    private readonly api: KubeApi,
    private readonly events: EventRecorder,
    private readonly now: () => Date,
    private readonly logger?: Logger,
  ) {}

  async write(registry: Registry, inputs: Omit<StatusInputs, 'registry' | 'now'>): Promise<void> {
    const key = objectKey(registry);
    const status = computeRegistryStatus({ ...inputs, registry, now: this.now() });
    if (sameJson(status, registry.status ?? {})) return;
    const written = this.#written.get(key);
    if (written && sameJson(comparable(status), comparable(written))) return;
    this.logger?.debug('writing status', { registry: key });
    await this.api.apply(
      RESOURCES.registry,
      {
        apiVersion: registry.apiVersion,
        kind: registry.kind,
        metadata: { name: registry.metadata.name, namespace: registry.metadata.namespace },
        status,
      },
      { subresource: 'status' },
    );
    this.#written.set(key, status);
    this.#recordTransitions(registry, written ?? registry.status, status);
  }

  forget(key: string): void {
    this.#written.delete(key);
  }

  #recordTransitions(registry: Registry, before: RegistryStatus | undefined, after: RegistryStatus): void {
    const was = (type: string) => findCondition(before, type);
    const is = (type: string) => findCondition(after, type);
    const available = is(CONDITION_TYPES.available);
    if (available?.status === 'True' && was(CONDITION_TYPES.available)?.status !== 'True') {
      this.events.record(registry, 'Normal', 'Available', available.message);
    }
    const degraded = is(CONDITION_TYPES.degraded);
    const wasDegraded = was(CONDITION_TYPES.degraded);
    if (degraded?.status === 'True' && (wasDegraded?.status !== 'True' || wasDegraded.message !== degraded.message)) {
      this.events.record(registry, 'Warning', degraded.reason, degraded.message);
    } else if (degraded?.status === 'False' && wasDegraded?.status === 'True') {
      this.events.record(registry, 'Normal', 'Recovered', 'the operator applied the spec again');
    }
    // once per run: the run now shown was not shown before (a restarted operator reads "before" from the status)
    const gc = gcRunEvent(before?.gc?.lastRun, after.gc?.lastRun);
    if (gc) this.events.record(registry, gc.type, gc.reason, gc.message);
  }
}
