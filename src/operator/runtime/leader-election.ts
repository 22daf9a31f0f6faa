/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it: the holder renews the Lease every
 * `retryPeriodMs`; a candidate takes it over once the record has not changed for `leaseDurationMs` (measured on
 * the candidate's own clock from when it last saw a change, so clock skew between nodes does not matter); writes
 * carry the resourceVersion, so two candidates cannot both win. A leader that cannot renew for `renewDeadlineMs`
 * steps down. On shutdown the leader releases the Lease, so a standby takes over at once.
 */
import type { Logger } from '../../shared/logger.js';
import { hasStatus } from '../../kube/api-error.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { kubeMicroTime, type KubeObject } from '../../kube/objects.js';
import { resourcePath, RESOURCES } from '../../kube/resources.js';
import { sleep } from '../../kube/backoff.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  api: KubeApi;
  namespace: string;
  name: string;
  /** Unique per process: pod name, or host name plus pid. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
}

/** Defaults: a dead leader is replaced within about leaseDuration + retryPeriod = 14 s. */
export const LEASE_DEFAULTS = { leaseDurationMs: 12_000, renewDeadlineMs: 8_000, retryPeriodMs: 2_000 } as const;

/** The Lease spec a holder writes when it acquires or renews (pure). */
export function nextLeaseSpec(current: LeaseSpec, identity: string, leaseDurationMs: number, now: Date): LeaseSpec {
  const mine = current.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
    acquireTime: mine && current.acquireTime ? current.acquireTime : kubeMicroTime(now),
    renewTime: kubeMicroTime(now),
    leaseTransitions: mine ? (current.leaseTransitions ?? 0) : (current.leaseTransitions ?? 0) + (current.holderIdentity ? 1 : 0),
  };
}

export class LeaderElector {
  readonly #o: Required<LeaderElectionOptions>;
  #observedRecord = '';
  #observedAt = 0;
  #leading = false;
  #resourceVersion: string | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.#o = { ...LEASE_DEFAULTS, ...opts };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Waits until this process holds the Lease (false if `signal` aborted first). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    let logged = false;
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew()) {
        this.#leading = true;
        this.#o.logger.info('became leader', { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity });
        return true;
      }
      if (!logged) {
        this.#o.logger.info('waiting for the leader lease', { lease: `${this.#o.namespace}/${this.#o.name}` });
        logged = true;
      }
      await sleep(this.#o.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    return false;
  }

  /** Renews until `signal` aborts (resolves true) or renewing fails for renewDeadline (resolves false: lost). */
  async holdUntil(signal: AbortSignal): Promise<boolean> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.#o.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.#tryAcquireOrRenew()) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.#o.renewDeadlineMs) {
        this.#leading = false;
        this.#o.logger.error('lost the leader lease', { lease: `${this.#o.namespace}/${this.#o.name}` });
        return false;
      }
    }
    return true;
  }

  /** Gives the Lease up (on shutdown), so a standby need not wait for it to expire. */
  async release(): Promise<void> {
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#get();
      if (lease?.spec?.holderIdentity !== this.#o.identity) return;
      const now = kubeMicroTime(new Date());
      await this.#put({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now } });
      this.#o.logger.info('released the leader lease', { lease: `${this.#o.namespace}/${this.#o.name}` });
    } catch (err) {
      this.#o.logger.warn('could not release the leader lease', { error: (err as Error).message });
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    try {
      const lease = await this.#get();
      if (!lease) return await this.#create(now);
      const spec = lease.spec ?? {};
      const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds, spec.leaseTransitions]);
      if (record !== this.#observedRecord) {
        this.#observedRecord = record;
        this.#observedAt = now.getTime();
      }
      const holder = spec.holderIdentity ?? '';
      const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
      if (holder !== '' && holder !== this.#o.identity && this.#observedAt + durationMs > now.getTime()) return false;
      const next = nextLeaseSpec(spec, this.#o.identity, this.#o.leaseDurationMs, now);
      await this.#put({ ...lease, spec: next });
      return true;
    } catch (err) {
      if (!hasStatus(err, 409)) this.#o.logger.warn('leader lease request failed', { error: (err as Error).message });
      return false;
    }
  }

  async #get(): Promise<Lease | undefined> {
    try {
      const lease = await this.#o.api.client.request<Lease>({
        method: 'GET',
        path: resourcePath(RESOURCES.lease, this.#o.namespace, this.#o.name),
        timeoutMs: this.#o.retryPeriodMs * 2,
      });
      this.#resourceVersion = lease.metadata.resourceVersion;
      return lease;
    } catch (err) {
      if (hasStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async #create(now: Date): Promise<boolean> {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#o.name, namespace: this.#o.namespace },
      spec: nextLeaseSpec({}, this.#o.identity, this.#o.leaseDurationMs, now),
    };
    await this.#o.api.client.request({
      method: 'POST',
      path: resourcePath(RESOURCES.lease, this.#o.namespace),
      body: lease,
      timeoutMs: this.#o.retryPeriodMs * 2,
    });
    return true;
  }

  async #put(lease: Lease): Promise<void> {
    const body = { ...lease, metadata: { ...lease.metadata, resourceVersion: this.#resourceVersion } };
    await this.#o.api.client.request({
      method: 'PUT',
      path: resourcePath(RESOURCES.lease, this.#o.namespace, this.#o.name),
      body,
      timeoutMs: this.#o.retryPeriodMs * 2,
    });
  }
}
