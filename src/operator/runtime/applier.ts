/**
 * Server-side apply that writes only when needed, so a converged operator makes no API writes at all.
 *
 * Every applied object carries a hash of what was desired (annotation `berth.dev/desired-hash`). The object is
 * applied again when:
 * - it does not exist, or its hash differs (the desire changed, possibly by dropping a field, which only a new
 *   apply removes);
 * - a field we set has another value (drift: someone edited it by hand), unless the live object is exactly the
 *   version our own last apply returned (the API server may normalise what we sent, e.g. `0.5` → `500m`).
 *
 * Server-side apply cannot take back every hand edit: when someone changed the key of a list entry we own (a
 * Service port number), the apply merges both entries and the API server refuses the result. Then the live
 * object is updated instead, with our fields laid over it (our lists replace theirs), guarded by its
 * resourceVersion.
 */
import { createHash } from 'node:crypto';
import { classifyFailure, FAILURE_KINDS } from '../../kube/api-error.js';
import type { Logger } from '../../shared/logger.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { KubeObject } from '../../kube/objects.js';
import type { ResourceType } from '../../kube/resources.js';
import { canonicalJson } from '../../shared/canonical-json.js';

export const DESIRED_HASH_ANNOTATION = 'berth.dev/desired-hash';

/**
 * Whether every field set in `desired` has the same value in `live` (fields only in `live`, such as defaults and
 * other managers' fields, are ignored). Arrays must match element by element. Empty objects and arrays in
 * `desired` match a missing field (the API server drops them).
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    if (desired.length === 0 && (live === undefined || live === null)) return true;
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (desired !== null && typeof desired === 'object') {
    const entries = Object.entries(desired as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0 && (live === undefined || live === null)) return true;
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return entries.every(([k, v]) => isSubset(v, (live as Record<string, unknown>)[k]));
  }
  return desired === live;
}

/** `live` with every field of `desired` laid over it; lists and scalars of `desired` replace those of `live` (pure). */
export function overlay(live: unknown, desired: unknown): unknown {
  if (desired === undefined) return live;
  if (desired === null || typeof desired !== 'object' || Array.isArray(desired)) return desired;
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return desired;
  const out: Record<string, unknown> = { ...(live as Record<string, unknown>) };
  for (const [k, v] of Object.entries(desired as Record<string, unknown>)) out[k] = overlay(out[k], v);
  return out;
}

/** The desired object with its hash annotation (pure). */
export function withDesiredHash(obj: KubeObject): KubeObject {
  const hash = createHash('sha256').update(canonicalJson(obj)).digest('hex').slice(0, 20);
  return {
    ...obj,
    metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [DESIRED_HASH_ANNOTATION]: hash } },
  };
}

/** Whether `live` already is what `desired` (with its hash annotation) asks for (pure). */
export function isApplied(desired: KubeObject, live: KubeObject | undefined, lastApplied?: { resourceVersion: string; hash: string }): boolean {
  if (!live || live.metadata.deletionTimestamp) return false;
  const hash = desired.metadata.annotations?.[DESIRED_HASH_ANNOTATION];
  if (live.metadata.annotations?.[DESIRED_HASH_ANNOTATION] !== hash) return false;
  if (lastApplied && lastApplied.hash === hash && lastApplied.resourceVersion === live.metadata.resourceVersion) return true;
  const { metadata, apiVersion: _a, kind: _k, ...rest } = desired;
  const { name: _n, namespace: _ns, ...meta } = metadata;
  return isSubset(meta, live.metadata) && isSubset(rest, live);
}

export class Applier {
  readonly #lastApplied = new Map<string, { resourceVersion: string; hash: string }>();

  constructor(
    private readonly api: KubeApi,
    private readonly logger?: Logger,
  ) {}

  /**
   * Applies `desired` unless `live` (from an informer cache) already matches it. Returns the object as it is now
   * and whether an API write happened.
   */
  async ensure<T extends KubeObject>(rt: ResourceType, desired: KubeObject, live: T | undefined): Promise<{ object: T; wrote: boolean }> {
    const target = withDesiredHash(desired);
    const key = `${rt.plural}/${desired.metadata.namespace ?? ''}/${desired.metadata.name}`;
    if (isApplied(target, live, this.#lastApplied.get(key))) return { object: live!, wrote: false };
    this.logger?.debug('applying', { object: key, why: live ? 'differs' : 'missing' });
    let applied: T;
    try {
      applied = await this.api.apply<T>(rt, target);
    } catch (err) {
      if (!live || classifyFailure(err) !== FAILURE_KINDS.invalid) throw err;
      const { status: _s, ...current } = live;
      applied = await this.api.update<T>(rt, overlay(current, target) as KubeObject);
    }
    const hash = target.metadata.annotations![DESIRED_HASH_ANNOTATION]!;
    this.#lastApplied.set(key, { resourceVersion: applied.metadata.resourceVersion ?? '', hash });
    return { object: applied, wrote: true };
  }

  /** Drops what is remembered about an object (it was deleted). */
  forget(rt: ResourceType, namespace: string | undefined, name: string): void {
    this.#lastApplied.delete(`${rt.plural}/${namespace ?? ''}/${name}`);
  }
}
