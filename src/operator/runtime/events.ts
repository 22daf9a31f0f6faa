/**
 * Kubernetes Events on the custom resources, for what a user should see in `kubectl describe` (created children,
 * an invalid spec, a rollout that became available). The same event repeated within ten minutes bumps the count
 * of the existing Event instead of creating another. Recording never blocks or fails a reconcile.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { kubeTime, type KubeObject } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';

export const EVENT_TYPES = { normal: 'Normal', warning: 'Warning' } as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

export interface EventRecorder {
  record(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

const COMPONENT = 'berth-operator';
const AGGREGATE_MS = 10 * 60_000;
const MAX_TRACKED = 1000;

/** The core/v1 Event object for a first occurrence (pure). */
export function buildEvent(obj: KubeObject, type: EventType, reason: string, message: string, name: string, instance: string, now: Date): KubeObject {
  const at = kubeTime(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: obj.metadata.namespace ?? 'default' },
    involvedObject: {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
    },
    type,
    reason,
    message: message.slice(0, 1024),
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: instance,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

export class KubeEventRecorder implements EventRecorder {
  readonly #seen = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  constructor(
    private readonly api: KubeApi,
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.logger.info('event', { object: `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`, type, reason, message });
    this.#send(obj, type, reason, message).catch((err: unknown) =>
      this.logger.warn('could not record an event', { reason, error: (err as Error).message }),
    );
  }

  async #send(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const key = `${obj.metadata.uid}|${type}|${reason}|${message}`;
    const now = new Date();
    const seen = this.#seen.get(key);
    if (seen && now.getTime() - seen.at < AGGREGATE_MS) {
      seen.count += 1;
      seen.at = now.getTime();
      await this.api.mergePatch(RESOURCES.event, seen.namespace, seen.name, { count: seen.count, lastTimestamp: kubeTime(now) });
      return;
    }
    const name = `${obj.metadata.name}.${randomBytes(8).toString('hex')}`;
    const event = buildEvent(obj, type, reason, message, name, this.instance, now);
    this.#seen.set(key, { name, namespace: event.metadata.namespace!, count: 1, at: now.getTime() });
    if (this.#seen.size > MAX_TRACKED) this.#seen.delete(this.#seen.keys().next().value!);
    await this.api.create(RESOURCES.event, event);
  }
}
