/**
 * Typed verbs over {@link ApiClient}: get, list (paged), create, server-side apply (fieldManager "berth"), status
 * apply, merge patch, update and delete.
 */
import type { ApiClient } from './api-client.js';
import { apiVersionOf, resourcePath, type ResourceType } from './resources.js';
import type { KubeList, KubeObject } from './objects.js';

/** The one field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = 'berth';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the whole list is fetched page by page. */
  limit?: number;
  signal?: AbortSignal;
}

export class KubeApi {
  constructor(readonly client: ApiClient) {}

  get<T extends KubeObject>(rt: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.client.request<T>({ method: 'GET', path: resourcePath(rt, namespace, name) });
  }

  /** Lists every object (following `continue` tokens); returns the items and the list's resourceVersion. */
  async list<T extends KubeObject>(rt: ResourceType, opts: ListOptions = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.client.request<KubeList<T>>({
        method: 'GET',
        path: resourcePath(rt, opts.namespace),
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit ?? 500, continue: cont },
        signal: opts.signal,
      });
      for (const item of page.items) items.push(withTypeMeta(rt, item));
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  /** Creates an object; its fields are recorded as the field manager "berth"'s (as its applies are). */
  create<T extends KubeObject>(rt: ResourceType, obj: T): Promise<T> {
    return this.client.request<T>({
      method: 'POST',
      path: resourcePath(rt, obj.metadata.namespace),
      query: { fieldManager: FIELD_MANAGER },
      body: obj,
    });
  }

  /** Replaces an object; its metadata.resourceVersion makes this an optimistic-concurrency write (409 on a race). */
  update<T extends KubeObject>(rt: ResourceType, obj: KubeObject): Promise<T> {
    return this.client.request<T>({
      method: 'PUT',
      path: resourcePath(rt, obj.metadata.namespace, obj.metadata.name),
      query: { fieldManager: FIELD_MANAGER },
      body: obj,
    });
  }

  /**
   * Server-side apply (field manager "berth" unless `fieldManager` says otherwise), taking over fields others
   * changed (drift repair).
   */
  apply<T extends KubeObject>(rt: ResourceType, obj: KubeObject, opts: { subresource?: string; fieldManager?: string } = {}): Promise<T> {
    return this.client.request<T>({
      method: 'PATCH',
      path: resourcePath(rt, obj.metadata.namespace, obj.metadata.name, opts.subresource),
      query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: true },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** JSON merge patch (used for Event counts). */
  mergePatch<T extends KubeObject>(rt: ResourceType, namespace: string | undefined, name: string, patch: unknown): Promise<T> {
    return this.client.request<T>({
      method: 'PATCH',
      path: resourcePath(rt, namespace, name),
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  delete(rt: ResourceType, namespace: string | undefined, name: string): Promise<unknown> {
    return this.client.request({
      method: 'DELETE',
      path: resourcePath(rt, namespace, name),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
  }
}

/** List items come without apiVersion and kind; put them back so cached objects are complete. */
export function withTypeMeta<T extends KubeObject>(rt: ResourceType, item: T): T {
  return { ...item, apiVersion: apiVersionOf(rt), kind: rt.kind };
}
