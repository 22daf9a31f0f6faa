/**
 * An informer: a local cache of one resource type kept current by list + watch, telling handlers what changed.
 *
 * Unlike the informer of `@kubernetes/client-node`, which stops after most errors, this one never gives up:
 * - it lists (page by page), then watches from the list's resourceVersion with bookmarks;
 * - a watch the server ends normally (its timeoutSeconds) is reopened from the last resourceVersion seen;
 * - `410 Gone` (the resourceVersion is too old, e.g. after etcd compaction) relists, and the relist is diffed
 *   against the cache so handlers hear about every add, change and delete they missed;
 * - any other error (API server down, connection reset, 5xx, 403) is retried with exponential backoff;
 * - a watch that sends nothing, not even a bookmark, for `silenceTimeoutMs` is treated as dead and reopened
 *   (a half-open TCP connection otherwise hangs forever).
 */
import type { Logger } from '../shared/logger.js';
import { ApiError, hasStatus } from './api-error.js';
import type { KubeApi } from './kube-api.js';
import { withTypeMeta } from './kube-api.js';
import { objectKey, type KubeObject, type KubeStatus } from './objects.js';
import { resourcePath, type ResourceType } from './resources.js';
import { backoffDelay, sleep, WATCH_BACKOFF, type BackoffPolicy } from './backoff.js';

export type InformerEvent = 'added' | 'modified' | 'deleted';
export type InformerHandler<T> = (event: InformerEvent, obj: T, old: T | undefined) => void;

/** What an informer counts; the operator's metrics registry provides it. */
export interface InformerMetrics {
  watchRestarts: { inc(labels: { resource: string; reason: string }): void };
}

export interface InformerOptions {
  api: KubeApi;
  resource: ResourceType;
  /** Only this namespace; undefined: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  /** A field selector such as `metadata.name=policy` (one object, for a client allowed to read only that one). */
  fieldSelector?: string;
  /** A watch silent for this long is reopened. The API server sends a bookmark about every minute. */
  silenceTimeoutMs?: number;
  /** The server ends each watch after a random time in this range (seconds), spreading reconnects. */
  watchTimeoutSeconds?: readonly [number, number];
  backoff?: BackoffPolicy;
  logger: Logger;
  metrics?: InformerMetrics;
}

/** How one watch ended. */
type WatchOutcome = { kind: 'closed' | 'gone' | 'silent'; healthy: boolean };

const HEALTHY_WATCH_MS = 5_000;

export class Informer<T extends KubeObject> {
  readonly #opts: InformerOptions;
  readonly #store = new Map<string, T>();
  readonly #handlers: InformerHandler<T>[] = [];
  readonly #stop = new AbortController();
  #syncWaiters: Array<() => void> = [];
  #synced = false;
  #resourceVersion: string | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: InformerOptions) {
    this.#opts = opts;
  }

  get resource(): ResourceType {
    return this.#opts.resource;
  }

  /** Registers a handler; call before {@link start}. */
  on(handler: InformerHandler<T>): this {
    this.#handlers.push(handler);
    return this;
  }

  /** The cached object with this `namespace/name` key. */
  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  /** Every cached object. */
  list(): T[] {
    return [...this.#store.values()];
  }

  /** Whether the first list has completed. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list has completed. */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#relist(signal);
        const outcome = await this.#watch(signal);
        if (signal.aborted) break;
        this.#countRestart(outcome.kind);
        if (outcome.kind === 'gone') this.#resourceVersion = undefined;
        failures = outcome.healthy ? 0 : failures + 1;
      } catch (err) {
        if (signal.aborted) break;
        failures += 1;
        this.#countRestart('error');
        this.#opts.logger.warn('watch failed, retrying', {
          resource: this.#opts.resource.plural,
          error: (err as Error).message,
          attempt: failures,
        });
      }
      if (failures > 0) await sleep(backoffDelay(this.#opts.backoff ?? WATCH_BACKOFF, failures), signal);
    }
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.#opts.api.list<T>(this.#opts.resource, {
      namespace: this.#opts.namespace,
      labelSelector: this.#opts.labelSelector,
      fieldSelector: this.#opts.fieldSelector,
      signal,
    });
    const fresh = new Map(items.map((item) => [objectKey(item), withoutManagedFields(item)]));
    const previous = new Map(this.#store);
    this.#store.clear();
    for (const [key, item] of fresh) this.#store.set(key, item);
    for (const [key, item] of fresh) {
      const old = previous.get(key);
      if (!old) this.#emit('added', item, undefined);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.#emit('modified', item, old);
    }
    for (const [key, old] of previous) if (!fresh.has(key)) this.#emit('deleted', old, old);
    this.#resourceVersion = resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters) resolve();
      this.#syncWaiters = [];
    }
  }

  async #watch(stopSignal: AbortSignal): Promise<WatchOutcome> {
    const { silenceTimeoutMs = 150_000, watchTimeoutSeconds = [300, 600] } = this.#opts;
    const abort = new AbortController();
    const onStop = (): void => abort.abort();
    stopSignal.addEventListener('abort', onStop, { once: true });
    let ended: WatchOutcome['kind'] | undefined;
    let silence: NodeJS.Timeout | undefined;
    const armSilence = (): void => {
      clearTimeout(silence);
      silence = setTimeout(() => {
        ended = 'silent';
        abort.abort();
      }, silenceTimeoutMs);
    };
    const [min, max] = watchTimeoutSeconds;
    const started = Date.now();
    let events = 0;
    let failure: Error | undefined;
    armSilence();
    try {
      await this.#opts.api.client.stream(
        {
          path: resourcePath(this.#opts.resource, this.#opts.namespace),
          query: {
            watch: 1,
            resourceVersion: this.#resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: Math.round(min + Math.random() * (max - min)),
            labelSelector: this.#opts.labelSelector,
            fieldSelector: this.#opts.fieldSelector,
          },
          signal: abort.signal,
        },
        (line) => {
          if (ended) return;
          armSilence();
          events += 1;
          try {
            if (this.#apply(line as { type: string; object: T & KubeStatus }) === 'ok') return;
            ended = 'gone';
          } catch (err) {
            failure = err as Error;
            ended = 'closed';
          }
          abort.abort();
        },
      );
    } catch (err) {
      if (!ended && !stopSignal.aborted) {
        if (hasStatus(err, 410)) ended = 'gone';
        else throw err;
      }
    } finally {
      clearTimeout(silence);
      stopSignal.removeEventListener('abort', onStop);
    }
    if (failure) throw failure;
    // A watch that delivered something, or stayed open a while, was fine: reopen it at once. One that failed
    // fast backs off, so a server that accepts and drops connections is not hammered.
    const healthy = events > 0 || Date.now() - started >= Math.min(HEALTHY_WATCH_MS, silenceTimeoutMs);
    return { kind: ended ?? 'closed', healthy };
  }

  /** Applies one watch event to the cache; returns 'gone' for a 410 ERROR event. */
  #apply(event: { type: string; object: T & KubeStatus }): 'ok' | 'gone' {
    const { type, object } = event;
    if (type === 'ERROR') {
      if (object.code === 410) return 'gone';
      throw new ApiError(object.code ?? 500, object.reason ?? '', object.message ?? 'watch error', 'watch', '');
    }
    if (object?.metadata?.resourceVersion) this.#resourceVersion = object.metadata.resourceVersion;
    if (type === 'BOOKMARK') return 'ok';
    const obj = withoutManagedFields(withTypeMeta(this.#opts.resource, object as T));
    const key = objectKey(obj);
    const old = this.#store.get(key);
    if (type === 'DELETED') {
      this.#store.delete(key);
      this.#emit('deleted', obj, old);
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      this.#store.set(key, obj);
      this.#emit(old ? 'modified' : 'added', obj, old);
    }
    return 'ok';
  }

  #emit(event: InformerEvent, obj: T, old: T | undefined): void {
    for (const handler of this.#handlers) {
      try {
        handler(event, obj, old);
      } catch (err) {
        this.#opts.logger.error('informer handler failed', { error: (err as Error).message });
      }
    }
  }

  #countRestart(reason: string): void {
    this.#opts.metrics?.watchRestarts.inc({ resource: this.#opts.resource.plural, reason });
  }
}

/** Cached objects drop metadata.managedFields: nothing reads them, and they are often half of an object's size. */
function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (!('managedFields' in obj.metadata)) return obj;
  const { managedFields: _m, ...metadata } = obj.metadata as T['metadata'] & { managedFields?: unknown };
  return { ...obj, metadata };
}
