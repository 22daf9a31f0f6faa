/**
 * Wires the Registry controller: an informer on Registries, informers on the children it manages (selected by
 * label, so only Berth's objects are cached), and the mapping from their events to Registry keys.
 */
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { KubeObject } from '../../kube/objects.js';
import { RESOURCES, type ResourceType } from '../../kube/resources.js';
import { isDeepStrictEqual } from 'node:util';
import { Applier } from '../runtime/applier.js';
import { Controller } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { Informer } from '../../kube/informer.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { CHILD_SELECTOR, LABELS } from './naming.js';
import { RegistryReconciler } from './reconcile.js';
import type { Registry } from './types.js';

export const REGISTRY_CONTROLLER = 'registry';

/** Child resource types the Registry controller applies and watches. */
export const CHILD_RESOURCES: readonly ResourceType[] = [
  RESOURCES.secret,
  RESOURCES.pvc,
  RESOURCES.service,
  RESOURCES.deployment,
  RESOURCES.ingress,
];

export interface RegistryControllerOptions {
  api: KubeApi;
  events: EventRecorder;
  logger: Logger;
  metrics: OperatorMetrics;
  watchNamespace: string | undefined;
  defaultImage: string | undefined;
  workers: number;
  resyncPeriodMs: number;
  watchSilenceTimeoutMs: number;
}

/**
 * Whether a Registry update needs a reconcile: not when only its status (our own write) or resourceVersion changed.
 */
export function registryChanged(old: Registry | undefined, obj: Registry): boolean {
  if (!old) return true;
  const m = (r: Registry) => [r.metadata.generation, r.metadata.labels, r.metadata.annotations, r.metadata.deletionTimestamp, r.metadata.uid];
  return !isDeepStrictEqual(m(old), m(obj));
}

export function createRegistryController(o: RegistryControllerOptions): { controller: Controller; informers: Informer<KubeObject>[] } {
  const common = {
    api: o.api,
    namespace: o.watchNamespace,
    logger: o.logger,
    metrics: o.metrics,
    silenceTimeoutMs: o.watchSilenceTimeoutMs,
  };
  const registries = new Informer<Registry>({ ...common, resource: RESOURCES.registry });
  const children = new Map<ResourceType, Informer<KubeObject>>(
    CHILD_RESOURCES.map((rt) => [rt, new Informer<KubeObject>({ ...common, resource: rt, labelSelector: CHILD_SELECTOR })]),
  );
  const applier = new Applier(o.api, o.logger);
  const reconciler = new RegistryReconciler({
    api: o.api,
    applier,
    events: o.events,
    caches: { registries, children },
    logger: o.logger,
    defaultImage: o.defaultImage,
  });
  const controller = new Controller({
    name: REGISTRY_CONTROLLER,
    reconciler,
    primary: registries,
    workers: o.workers,
    resyncPeriodMs: o.resyncPeriodMs,
    logger: o.logger,
    metrics: o.metrics,
  });
  registries.on((event, obj, old) => {
    if (event !== 'modified' || registryChanged(old, obj)) controller.enqueue(`${obj.metadata.namespace}/${obj.metadata.name}`);
  });
  for (const [rt, informer] of children) {
    informer.on((event, obj) => {
      const owner = obj.metadata.labels?.[LABELS.registry];
      if (event === 'deleted') applier.forget(rt, obj.metadata.namespace, obj.metadata.name);
      if (owner) controller.enqueue(`${obj.metadata.namespace}/${owner}`, { respectBackoff: true });
    });
  }
  return { controller, informers: [registries as unknown as Informer<KubeObject>, ...children.values()] };
}
