/**
 * Wires the Registry controller: the Registries informer and the informers of the children it manages (from the
 * shared {@link InformerFactory}; children are selected by label, so only Berth's objects are cached), and the
 * mapping from their events to Registry keys.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { KubeObject } from '../../kube/objects.js';
import { RESOURCES, type ResourceType } from '../../kube/resources.js';
import type { Informer } from '../../kube/informer.js';
import type { InformerFactory } from '../../kube/informer-factory.js';
import { Applier } from '../runtime/applier.js';
import { Controller } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { CHILD_RESOURCES, watchScope } from '../rbac.js';
import { LABELS, MANAGED_BY } from './naming.js';
import { REGISTRY_NAMESPACE_LABEL } from './build-auth-delegation.js';
import { RegistryReconciler } from './reconcile.js';
import { OperatorCa } from '../tls/operator-ca.js';
import type { Registry } from './types.js';

export const REGISTRY_CONTROLLER = 'registry';

export interface RegistryControllerOptions {
  api: KubeApi;
  informers: InformerFactory;
  events: EventRecorder;
  logger: Logger;
  metrics: OperatorMetrics;
  watchNamespace: string | undefined;
  defaultImage: string | undefined;
  /** --allowed-images (undefined: only defaultImage). */
  allowedImages?: readonly string[];
  /** Where the operator keeps its CA Secret (berth-ca). */
  caNamespace: string;
  workers: number;
  resyncPeriodMs: number;
}

/**
 * Whether a Registry update needs a reconcile: not when only its status (our own write) or resourceVersion changed.
 */
export function registryChanged(old: Registry | undefined, obj: Registry): boolean {
  if (!old) return true;
  const m = (r: Registry) => [r.metadata.generation, r.metadata.labels, r.metadata.annotations, r.metadata.deletionTimestamp, r.metadata.uid];
  return !isDeepStrictEqual(m(old), m(obj));
}

/**
 * The Registry a child belongs to (its `berth.dev/registry` label; a cluster-scoped child names the namespace in
 * `berth.dev/registry-namespace`), as a key; undefined for anything else, and for a Registry outside the watched
 * namespace (a cluster-scoped child of another operator's Registry is not ours to clean up).
 */
export function registryKeyOfChild(obj: KubeObject, watchNamespace?: string): string | undefined {
  const labels = obj.metadata.labels ?? {};
  const name = labels[LABELS.managedBy] === MANAGED_BY ? labels[LABELS.registry] : undefined;
  const namespace = obj.metadata.namespace ?? labels[REGISTRY_NAMESPACE_LABEL];
  if (!name || !namespace || (watchNamespace !== undefined && namespace !== watchNamespace)) return undefined;
  return `${namespace}/${name}`;
}

export function createRegistryController(o: RegistryControllerOptions): Controller {
  const registries = o.informers.informer<Registry>(RESOURCES.registry, watchScope(RESOURCES.registry, o.watchNamespace));
  const children = new Map<ResourceType, Informer<KubeObject>>(
    CHILD_RESOURCES.map((rt) => [rt, o.informers.informer<KubeObject>(rt, watchScope(rt, o.watchNamespace))]),
  );
  const applier = new Applier(o.api, o.logger);
  const ca = new OperatorCa(o.api, o.caNamespace, children.get(RESOURCES.secret)!, o.logger);
  const reconciler = new RegistryReconciler({
    api: o.api,
    applier,
    events: o.events,
    caches: { registries, children },
    logger: o.logger,
    defaultImage: o.defaultImage,
    allowedImages: o.allowedImages,
    ca,
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
      if (event === 'deleted') applier.forget(rt, obj.metadata.namespace, obj.metadata.name);
      const key = registryKeyOfChild(obj, o.watchNamespace);
      if (key) controller.enqueue(key, { respectBackoff: true });
    });
  }
  return controller;
}
