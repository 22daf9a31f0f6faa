/**
 * Which tags a retention rule lets go, and which manifests go with them (pure; the table tests are in
 * test/unit/registry/lifecycle).
 *
 * Tags: the N most recently pushed tags stay (`keepLast`, counting every tag), tags matching `keepTags` stay, and
 * immutable tags stay. Of the rest, a tag goes when it is outside the newest N (when `keepLast` is set) and was
 * pushed longer ago than `olderThan` (when that is set); a rule with neither deletes nothing.
 *
 * Manifests: a manifest whose every tag went is deleted, with what it reaches downward (index children, referrers)
 * unless something else keeps it: a remaining tag, a manifest that was untagged before the run (the garbage
 * collector's untagged policy decides about those), or the closure of either (children, referrers, and the subject
 * of a kept referrer, as the garbage collector marks).
 */

export interface TagInfo {
  tag: string;
  digest: string;
  pushedAtMs: number;
}

export interface RetentionRule {
  keepLast?: number;
  olderThanMs?: number;
  /** Tags that always stay (`keepTags` patterns). */
  keepTag: (tag: string) => boolean;
  /** Immutable tags, which retention never deletes. */
  immutable: (tag: string) => boolean;
}

/** A manifest of the repository and its edges. */
export interface ManifestNode {
  digest: string;
  children: readonly string[];
  subject?: string;
}

/** Newest first; ties in push time broken by tag name, so the order is total. */
function newestFirst(a: TagInfo, b: TagInfo): number {
  if (a.pushedAtMs !== b.pushedAtMs) return b.pushedAtMs - a.pushedAtMs;
  return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0;
}

/** The tags `rule` deletes at `nowMs`, newest first. */
export function expiredTags(tags: readonly TagInfo[], rule: RetentionRule, nowMs: number): TagInfo[] {
  if (rule.keepLast === undefined && rule.olderThanMs === undefined) return [];
  const ordered = [...tags].sort(newestFirst);
  return ordered.filter((t, rank) => {
    if (rule.keepTag(t.tag) || rule.immutable(t.tag)) return false;
    if (rule.keepLast !== undefined && rank < rule.keepLast) return false;
    if (rule.olderThanMs !== undefined && nowMs - t.pushedAtMs <= rule.olderThanMs) return false;
    return true;
  });
}

function closure(roots: Iterable<string>, next: (d: string) => Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const d = queue.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    for (const n of next(d)) if (!seen.has(n)) queue.push(n);
  }
  return seen;
}

/** The manifests to delete once the tags `removed` are gone (digests in byte order). */
export function manifestsToDelete(nodes: readonly ManifestNode[], tags: readonly TagInfo[], removed: ReadonlySet<string>): string[] {
  const byDigest = new Map(nodes.map((n) => [n.digest, n]));
  const referrers = new Map<string, string[]>();
  for (const n of nodes) if (n.subject) referrers.set(n.subject, [...(referrers.get(n.subject) ?? []), n.digest]);
  const tagged = new Set(tags.map((t) => t.digest));
  const remaining = new Set(tags.filter((t) => !removed.has(t.tag)).map((t) => t.digest));
  const released = [...new Set(tags.filter((t) => removed.has(t.tag)).map((t) => t.digest))].filter((d) => !remaining.has(d));
  const down = (d: string): string[] => [...(byDigest.get(d)?.children ?? []), ...(referrers.get(d) ?? [])];
  const doomed = closure(released, down);
  const untaggedBefore = nodes.map((n) => n.digest).filter((d) => !tagged.has(d) && !doomed.has(d));
  const kept = closure([...remaining, ...untaggedBefore], (d) => {
    const subject = byDigest.get(d)?.subject;
    return subject ? [...down(d), subject] : down(d);
  });
  return [...doomed].filter((d) => !kept.has(d) && byDigest.has(d)).sort();
}
