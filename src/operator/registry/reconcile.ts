/**
 * Reconcile of one Registry: read (informer caches) → plan (pure builders) → create the Secrets made once → apply
 * what differs (server-side apply, in the plan's order: the pods' config and identity before the Deployment) →
 * status (pure function of the children and of the reports the pods published, written only when it changed).
 * Level-based: it never depends on which event woke it.
 */
import type { Logger } from '../../shared/logger.js';
import { classifyFailure, FAILURE_KINDS, hasStatus } from '../../kube/api-error.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { objectKey, parseKey, type KubeObject } from '../../kube/objects.js';
import { RESOURCES, type ResourceType } from '../../kube/resources.js';
import { withDesiredHash, type Applier } from '../runtime/applier.js';
import { TerminalError, type Reconciler, type ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Informer } from '../../kube/informer.js';
import { planRegistry, type RegistryPlan } from './plan.js';
import { unwantedDelegations } from './build-auth-delegation.js';
import { ensureServingCertificate, type IssuedTls } from './serving-certificate.js';
import type { OperatorCa } from '../tls/operator-ca.js';
import { REASONS, type ObservedDeployment, type Reason } from './status.js';
import { RegistryStatusWriter } from './status-writer.js';
import { ReportReader, type ConfigMapObject } from './reports.js';
import { GcReportDocumentSchema, REPORT_KEYS, type GcRun } from '../../shared/schemas/report.js';
import { withDefaults, type Registry } from './types.js';

/** How often a Registry waiting for its existing claim looks again (claims it does not own are not watched). */
export const CLAIM_RETRY_MS = 30_000;
/** The longest wait before a Registry with an issued certificate is looked at again (renewal is checked then). */
export const CERTIFICATE_CHECK_MS = 6 * 3600_000;

export interface RegistryCaches {
  registries: Informer<Registry>;
  children: Map<ResourceType, Informer<KubeObject>>;
}

export interface RegistryReconcilerDeps {
  api: KubeApi;
  applier: Applier;
  events: EventRecorder;
  caches: RegistryCaches;
  logger: Logger;
  defaultImage: string | undefined;
  /** The operator's --allowed-images (undefined: only defaultImage). */
  allowedImages?: readonly string[];
  /** The operator's CA, for Registries whose certificate the operator issues (spec.tls without secretName). */
  ca: OperatorCa;
  now?: () => Date;
}

export class RegistryReconciler implements Reconciler {
  readonly #d: RegistryReconcilerDeps;
  readonly #status: RegistryStatusWriter;
  readonly #reports: ReportReader;

  constructor(deps: RegistryReconcilerDeps) {
    this.#d = deps;
    this.#reports = new ReportReader(deps.logger);
    this.#status = new RegistryStatusWriter(deps.api, deps.events, deps.now ?? (() => new Date()), deps.logger);
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const registry = this.#d.caches.registries.get(key);
    if (!registry || registry.metadata.deletionTimestamp) {
      // Its namespaced children go with it (owner references); its cluster-scoped binding is deleted here.
      await this.#removeDelegations(key, undefined);
      if (!registry) this.#status.forget(key);
      return;
    }
    const spec = withDefaults(registry.spec);
    const existingClaim = spec.storage.existingClaim ? await this.#readClaim(registry, spec.storage.existingClaim) : undefined;
    const result = planRegistry(registry, { defaultImage: this.#d.defaultImage, allowedImages: this.#d.allowedImages, existingClaim }, spec);
    if (!result.ok) {
      await this.#status.write(registry, { desiredReplicas: spec.replicas, problem: result });
      if (result.reason === REASONS.claimNotFound) return { requeueAfterMs: CLAIM_RETRY_MS };
      throw new TerminalError(result.message);
    }
    const { plan } = result;
    const issued = await this.#servingCertificate(registry, plan);
    const created = await this.#createOnce(registry, plan);
    const deployment = await this.#applyAll(registry, plan, created);
    await this.#removeUnwanted(registry, plan);
    await this.#removeDelegations(key, plan.authDelegation);
    await this.#status.write(registry, {
      desiredReplicas: plan.spec.replicas,
      endpoint: plan.endpoint,
      claimName: plan.spec.storage.s3 ? undefined : plan.names.claim,
      tls: plan.tls.kind === 'none' ? undefined : { secretName: plan.tls.secretName, ...(issued && { caConfigMap: issued.caConfigMap, notAfter: issued.notAfter.toISOString() }) },
      deployment,
      gcRun: this.#reportedGcRun(registry, plan),
    });
    if (issued) return { requeueAfterMs: Math.max(1000, Math.min(CERTIFICATE_CHECK_MS, issued.renewAt.getTime() - this.#now().getTime())) };
  }

  #now(): Date {
    return (this.#d.now ?? (() => new Date()))();
  }

  /** spec.tls without secretName: the certificate the operator issues, before the pods that mount it. */
  async #servingCertificate(registry: Registry, plan: RegistryPlan): Promise<IssuedTls | undefined> {
    if (plan.tls.kind !== 'issued') return undefined;
    const deps = { ca: this.#d.ca, applier: this.#d.applier, secrets: this.#cache(RESOURCES.secret), configMaps: this.#cache(RESOURCES.configMap), events: this.#d.events };
    try {
      return await ensureServingCertificate(deps, registry, plan.tls, plan.tlsHosts, this.#now());
    } catch (err) {
      return this.#failed(registry, plan, 'Secret', plan.tls.secretName, err);
    }
  }

  /** The last GC run in the report ConfigMap (an invalid document is logged and ignored). */
  #reportedGcRun(registry: Registry, plan: RegistryPlan): GcRun | undefined {
    const configMap = this.#cache(RESOURCES.configMap).get(`${registry.metadata.namespace}/${plan.names.reportConfigMap}`);
    return this.#reports.read(configMap as ConfigMapObject | undefined, REPORT_KEYS.gc, GcReportDocumentSchema)?.lastRun;
  }

  #cache(rt: ResourceType): Informer<KubeObject> {
    const informer = this.#d.caches.children.get(rt);
    if (!informer) throw new Error(`no informer for ${rt.plural}`);
    return informer;
  }

  async #readClaim(registry: Registry, name: string): Promise<{ accessModes: string[] } | null> {
    try {
      const claim = await this.#d.api.get<KubeObject & { spec?: { accessModes?: string[] } }>(
        RESOURCES.pvc,
        registry.metadata.namespace,
        name,
      );
      return { accessModes: claim.spec?.accessModes ?? [] };
    } catch (err) {
      if (hasStatus(err, 404)) return null;
      throw err;
    }
  }

  /**
   * The Secrets made once are created when missing (with the hash of what the apply step will want, so it has
   * nothing to add); returns the objects created, by key, as the caches have not seen them yet.
   */
  async #createOnce(registry: Registry, plan: RegistryPlan): Promise<Map<string, KubeObject>> {
    const created = new Map<string, KubeObject>();
    const ns = registry.metadata.namespace;
    const applied = new Map(plan.apply.map(({ object }) => [objectKey(object), object]));
    for (const { name, build } of plan.create) {
      const key = `${ns}/${name}`;
      if (this.#cache(RESOURCES.secret).get(key)) continue;
      const wanted = applied.get(key);
      const secret = build();
      const object = wanted ? { ...withDesiredHash(wanted), data: secret.data } : secret;
      try {
        created.set(key, await this.#d.api.create(RESOURCES.secret, object));
        this.#d.events.record(registry, 'Normal', 'Created', `created Secret ${name}`);
      } catch (err) {
        if (classifyFailure(err) !== FAILURE_KINDS.exists) await this.#failed(registry, plan, 'Secret', name, err);
      }
    }
    return created;
  }

  async #applyAll(registry: Registry, plan: RegistryPlan, created: ReadonlyMap<string, KubeObject>): Promise<ObservedDeployment | undefined> {
    let deployment: ObservedDeployment | undefined;
    for (const { resource, object } of plan.apply) {
      const key = objectKey(object);
      const live = created.get(key) ?? this.#cache(resource).get(key);
      try {
        const { object: now, wrote } = await this.#d.applier.ensure(resource, object, live);
        if (wrote && !live) this.#d.events.record(registry, 'Normal', 'Created', `created ${object.kind} ${object.metadata.name}`);
        if (resource === RESOURCES.deployment) deployment = now as ObservedDeployment;
      } catch (err) {
        await this.#failed(registry, plan, object.kind, object.metadata.name, err);
      }
    }
    return deployment;
  }

  async #removeUnwanted(registry: Registry, plan: RegistryPlan): Promise<void> {
    const ns = registry.metadata.namespace;
    for (const { resource, name } of plan.remove) {
      if (!this.#cache(resource).get(`${ns}/${name}`)) continue;
      try {
        await this.#d.api.delete(resource, ns, name);
      } catch (err) {
        if (!hasStatus(err, 404)) throw err;
      }
    }
  }

  /** Deletes the auth-delegator bindings of the Registry `key` other than `wanted` (all of them when undefined). */
  async #removeDelegations(key: string, wanted: string | undefined): Promise<void> {
    const { namespace, name } = parseKey(key);
    const cache = this.#d.caches.children.get(RESOURCES.clusterRoleBinding);
    for (const binding of unwantedDelegations(cache?.list() ?? [], namespace ?? '', name, wanted)) {
      try {
        await this.#d.api.delete(RESOURCES.clusterRoleBinding, undefined, binding.metadata.name);
        this.#d.logger.info('deleted the auth-delegator binding of a Registry', { registry: key, binding: binding.metadata.name });
      } catch (err) {
        if (!hasStatus(err, 404)) throw err;
      }
    }
  }

  /**
   * A write failed. A rejected object (invalid) or a forbidden write is shown as Degraded; an invalid one is not
   * retried (a spec change will wake us), anything else is retried with backoff by rethrowing.
   */
  async #failed(registry: Registry, plan: RegistryPlan, kind: string, name: string, err: unknown): Promise<never> {
    const failure = classifyFailure(err);
    const message = (err as Error).message;
    if (failure === FAILURE_KINDS.invalid || failure === FAILURE_KINDS.forbidden) {
      const reason: Reason = failure === FAILURE_KINDS.invalid ? REASONS.applyRejected : REASONS.forbidden;
      const problem = { reason, message: `${kind} ${name} was refused by the API server: ${message}` };
      await this.#status
        .write(registry, { desiredReplicas: plan.spec.replicas, endpoint: plan.endpoint, problem })
        .catch((e: unknown) => this.#d.logger.warn('could not write status', { error: (e as Error).message }));
      if (failure === FAILURE_KINDS.invalid) throw new TerminalError(problem.message);
    }
    throw err;
  }
}
