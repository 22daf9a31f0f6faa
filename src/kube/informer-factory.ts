/**
 * One informer per watched set, shared by every controller (as controller-runtime's shared cache): an informer is
 * keyed by its resource, namespace and selectors, so two controllers asking for the same set get the same cache and
 * the API server serves one list and one watch. Start, sync and stop go through the factory.
 */
import { Informer, type InformerOptions } from './informer.js';
import type { KubeObject } from './objects.js';
import type { ResourceType } from './resources.js';

/** What selects a watched set besides its resource. */
export interface WatchScope {
  /** Only this namespace; undefined: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** The options every informer of a factory shares. */
export type InformerDefaults = Omit<InformerOptions, 'resource' | keyof WatchScope>;

/** The key of a watched set: `plural.group|namespace|labels|fields` (pure). */
export function informerKey(resource: ResourceType, scope: WatchScope): string {
  return [`${resource.plural}.${resource.group}`, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? ''].join('|');
}

export class InformerFactory {
  readonly #defaults: InformerDefaults;
  readonly #informers = new Map<string, Informer<KubeObject>>();

  constructor(defaults: InformerDefaults) {
    this.#defaults = defaults;
  }

  /** The informer of `resource` in `scope`, made on first request; call before {@link start}. */
  informer<T extends KubeObject>(resource: ResourceType, scope: WatchScope = {}): Informer<T> {
    const key = informerKey(resource, scope);
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>({ ...this.#defaults, ...scope, resource });
      this.#informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** Every informer made so far. */
  all(): Informer<KubeObject>[] {
    return [...this.#informers.values()];
  }

  start(): void {
    for (const informer of this.#informers.values()) informer.start();
  }

  /** Resolves once every informer has completed its first list. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.all().map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((i) => i.stop()));
  }
}
