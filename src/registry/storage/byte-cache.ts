/**
 * A least-recently-used cache of small immutable contents (manifest bytes by digest), bounded by total size; an
 * entry larger than an eighth of the bound is not kept. Content addressed by digest never changes, so a cached copy
 * can never be stale, in any replica.
 */
import { LRUCache } from 'lru-cache';

export type ByteCache = LRUCache<string, Buffer>;

/** A cache holding at most `maxBytes` (its `calculatedSize`). */
export function byteCache(maxBytes: number): ByteCache {
  return new LRUCache<string, Buffer>({
    maxSize: maxBytes,
    maxEntrySize: maxBytes / 8,
    sizeCalculation: (value) => Math.max(value.length, 1),
  });
}
