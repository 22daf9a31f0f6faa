/**
 * Wires the access controller: informers (from the shared {@link InformerFactory}) on Registries, Repositories,
 * Namespaces, Berth's Secrets and ServiceAccounts, and the mapping from their events to Registry keys (one
 * reconcile covers all Repositories of a Registry). Everything is event-driven: a namespace created or labelled, a
 * Secret deleted or edited, a ServiceAccount created, each wakes exactly the Registries concerned; the periodic
 * resync is only a safety net. In metrics and logs the controller is named `repository`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { RESOURCES, type ResourceType } from '../../kube/resources.js';
import type { InformerFactory } from '../../kube/informer-factory.js';
import { Applier } from '../runtime/applier.js';
import { Controller } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { watchScope } from '../rbac.js';
import { LABELS } from '../registry/naming.js';
import { registryChanged } from '../registry/controller.js';
import type { Registry } from '../registry/types.js';
import type { ConfigMapObject } from '../registry/reports.js';
import { AccessReconciler, type AccessCaches } from './reconcile.js';
import { ACCEPT_FROM_ANNOTATION } from './consent.js';
import { ACCESS_ANNOTATIONS, ACCESS_LABELS, registryKeyOf, repositorySpec, type Namespace, type Repository, type ServiceAccount } from './types.js';

export const REPOSITORY_CONTROLLER = 'repository';

export interface AccessControllerOptions {
  api: KubeApi;
  informers: InformerFactory;
  events: EventRecorder;
  logger: Logger;
  metrics: OperatorMetrics;
  watchNamespace: string | undefined;
  workers: number;
  resyncPeriodMs: number;
  /** How long a registry may take to load a new policy (default 2 s). */
  propagationDelayMs?: number;
}

/** Whether a Repository update can change what its Registry needs (not its status, which we write). */
export function repositoryChanged(old: Repository | undefined, obj: Repository): boolean {
  if (!old) return true;
  const m = (r: Repository) => [r.metadata.generation, r.metadata.annotations, r.metadata.finalizers, r.metadata.deletionTimestamp, r.metadata.uid];
  return !isDeepStrictEqual(m(old), m(obj));
}

/** Whether a Namespace update can change which Repositories select it, or whose deliveries it consents to. */
export function namespaceChanged(old: Namespace | undefined, obj: Namespace): boolean {
  if (!old) return true;
  const m = (n: Namespace) => [n.metadata.labels, n.metadata.annotations?.[ACCEPT_FROM_ANNOTATION], n.metadata.deletionTimestamp, n.status?.phase];
  return !isDeepStrictEqual(m(old), m(obj));
}

/** The Registry key (`namespace/name`) a Berth Secret belongs to, if any. */
export function registryKeyOfSecret(secret: KubeObject): string | undefined {
  const l = secret.metadata.labels ?? {};
  const source = l[ACCESS_LABELS.sourceRegistry];
  if (source) return `${l[ACCESS_LABELS.sourceRegistryNamespace] ?? ''}/${source}`;
  // The Registry's own policy Secret: rewritten when someone edits or deletes it.
  if (l[LABELS.registry] && l[LABELS.component] === 'policy') return `${secret.metadata.namespace}/${l[LABELS.registry]}`;
  return undefined;
}

function informersOf(o: AccessControllerOptions): AccessCaches {
  const informer = <T extends KubeObject>(rt: ResourceType) => o.informers.informer<T>(rt, watchScope(rt, o.watchNamespace));
  return {
    registries: informer<Registry>(RESOURCES.registry),
    repositories: informer<Repository>(RESOURCES.repository),
    namespaces: informer<Namespace>(RESOURCES.namespace),
    secrets: informer<KubeObject>(RESOURCES.secret),
    serviceAccounts: informer<ServiceAccount>(RESOURCES.serviceAccount),
    configMaps: informer<ConfigMapObject>(RESOURCES.configMap),
  };
}

/** The Registry key of a report ConfigMap (its pods publish usage there, which Repository status shows). */
export function registryKeyOfReport(cm: KubeObject): string | undefined {
  const l = cm.metadata.labels ?? {};
  return l[LABELS.registry] && l[LABELS.component] === 'report' ? `${cm.metadata.namespace}/${l[LABELS.registry]}` : undefined;
}

/** Maps informer events to the Registry keys they concern. */
function wireEvents(caches: AccessCaches, controller: Controller, applier: Applier): void {
  const enqueue = (key: string | undefined): void => {
    if (key) controller.enqueue(key);
  };
  const referenced = (pick: (repo: Repository) => boolean): void => {
    for (const key of new Set(caches.repositories.list().filter(pick).map(registryKeyOf))) controller.enqueue(key);
  };
  caches.registries.on((event, obj, old) => {
    if (event !== 'modified' || registryChanged(old, obj)) enqueue(objectKey(obj));
  });
  caches.repositories.on((event, obj, old) => {
    if (event === 'modified' && !repositoryChanged(old, obj)) return;
    enqueue(registryKeyOf(obj));
    if (old && registryKeyOf(old) !== registryKeyOf(obj)) enqueue(registryKeyOf(old));
  });
  caches.namespaces.on((event, obj, old) => {
    if (event !== 'modified' || namespaceChanged(old, obj)) referenced((r) => repositorySpec(r).pullSecret !== undefined);
  });
  caches.secrets.on((event, obj) => {
    if (event === 'deleted') applier.forget(RESOURCES.secret, obj.metadata.namespace, obj.metadata.name);
    enqueue(registryKeyOfSecret(obj));
  });
  caches.configMaps?.on((event, obj) => {
    if (event !== 'deleted') enqueue(registryKeyOfReport(obj));
  });
  caches.serviceAccounts.on((event, obj, old) => {
    if (event === 'deleted') return;
    const entries = (sa: ServiceAccount | undefined) => [sa?.imagePullSecrets, sa?.metadata.annotations?.[ACCESS_ANNOTATIONS.addedPullSecrets]];
    const touched = event === 'added' || !isDeepStrictEqual(entries(old), entries(obj));
    if (touched) referenced((r) => repositorySpec(r).pullSecret?.serviceAccounts.includes(obj.metadata.name) ?? false);
  });
}

export function createAccessController(o: AccessControllerOptions): Controller {
  const caches = informersOf(o);
  const applier = new Applier(o.api, o.logger);
  const reconciler = new AccessReconciler({
    api: o.api,
    applier,
    events: o.events,
    caches,
    logger: o.logger,
    propagationDelayMs: o.propagationDelayMs,
  });
  const controller = new Controller({
    name: REPOSITORY_CONTROLLER,
    reconciler,
    primary: caches.registries,
    workers: o.workers,
    resyncPeriodMs: o.resyncPeriodMs,
    logger: o.logger,
    metrics: o.metrics,
  });
  wireEvents(caches, controller, applier);
  return controller;
}
