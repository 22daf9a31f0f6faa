/**
 * Tag patterns, as `Repository.spec.immutableTags` and `spec.retention.keepTags` write them: tag characters plus
 * `*` (any run of characters, none included) and `?` (exactly one character), matched against the whole tag.
 * `v*` matches `v1` and `v1.2.3`; `release-?` matches `release-1`; `latest` matches only `latest`.
 */

/** The grammar of one pattern (a tag's characters, plus `*` and `?`), at most 128 characters. */
export const TAG_PATTERN = '^[A-Za-z0-9_.*?-]{1,128}$';
const TAG_PATTERN_RE = new RegExp(TAG_PATTERN);

/** Whether `pattern` is a valid tag pattern. */
export function isTagPattern(pattern: string): boolean {
  return TAG_PATTERN_RE.test(pattern);
}

function compile(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A predicate for "the tag matches one of `patterns`" (compiled once; invalid patterns match nothing). */
export function tagMatcher(patterns: readonly string[]): (tag: string) => boolean {
  const compiled = patterns.filter(isTagPattern).map(compile);
  if (compiled.length === 0) return () => false;
  return (tag) => compiled.some((re) => re.test(tag));
}
