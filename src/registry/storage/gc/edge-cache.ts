/**
 * The edges of manifests (the blobs, children and subject each one names), kept across collections so the mark
 * does not read and parse every manifest again on every run.
 *
 * A manifest is content addressed: the bytes at a digest never change, so neither do its edges, and a cached entry
 * is never stale, in any process, even when the manifest is deleted and pushed again. The parse also depends on the
 * media type the revision records (a body without its own `mediaType` is read as whatever its Content-Type said),
 * so the key is the digest and that media type. Only a successful parse is cached: a manifest whose bytes are
 * missing or do not parse is read again (and reported broken) on every run. A manifest whose bytes go missing or
 * are quarantined by scrub after it was cached keeps its true edges here, so what it names is still kept (the safe
 * direction); scrub reports it.
 *
 * Bounded by count and by an estimate of the bytes held, least recently used first out.
 */
import { LRUCache } from 'lru-cache';
import { formatDigest } from '../../oci/digest.js';
import type { ParsedManifest } from '../../oci/manifest.js';

/** What a manifest names, as digest strings. */
export interface ManifestEdges {
  /** Config and layers. */
  readonly blobs: readonly string[];
  /** Manifests of an index. */
  readonly children: readonly string[];
  readonly subject?: string;
}

export type EdgeCache = LRUCache<string, ManifestEdges>;

export const DEFAULT_EDGE_CACHE = { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 } as const;

/** Per entry: the key, the object and its arrays (V8 headers, pointers), beyond the strings' characters. */
const ENTRY_OVERHEAD = 160;
/** Per digest string: its header and the array slot that points to it. */
const DIGEST_OVERHEAD = 24;

/** The cache key of a manifest: its digest and the media type its revision records (pure). */
export function edgeKey(digest: string, mediaType: string | undefined): string {
  return mediaType ? `${digest} ${mediaType}` : digest;
}

/** The edges of a parsed manifest (pure). */
export function manifestEdges(parsed: ParsedManifest): ManifestEdges {
  const edges = { blobs: parsed.blobs.map(formatDigest), children: parsed.children.map(formatDigest) };
  return parsed.subject ? { ...edges, subject: formatDigest(parsed.subject) } : edges;
}

/** An estimate of the heap an entry holds, its key included (pure). */
export function edgeBytes(key: string, edges: ManifestEdges): number {
  const digests = [...edges.blobs, ...edges.children, ...(edges.subject ? [edges.subject] : [])];
  return ENTRY_OVERHEAD + key.length + digests.reduce((n, d) => n + d.length + DIGEST_OVERHEAD, 0);
}

/** A cache of at most `maxEntries` manifests and about `maxBytes` of heap. */
export function edgeCache(limits: { maxEntries: number; maxBytes: number } = DEFAULT_EDGE_CACHE): EdgeCache {
  return new LRUCache<string, ManifestEdges>({
    max: limits.maxEntries,
    maxSize: limits.maxBytes,
    sizeCalculation: (edges, key) => edgeBytes(key, edges),
  });
}
