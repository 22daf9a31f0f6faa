import { describe, expect, it } from '@jest/globals';
import { expiredTags, manifestsToDelete, type ManifestNode, type RetentionRule, type TagInfo } from '../../../../src/registry/lifecycle/retention-plan.js';
import { tagMatcher } from '../../../../src/shared/tag-patterns.js';

const H = 3_600_000;
const NOW = 1_000 * H;
/** Tags t1..tN pushed one hour apart, t1 the oldest, each on its own digest d1..dN. */
const hourly = (n: number): TagInfo[] => Array.from({ length: n }, (_, i) => ({ tag: `t${i + 1}`, digest: `d${i + 1}`, pushedAtMs: NOW - (n - i) * H }));
const rule = (r: Partial<Omit<RetentionRule, 'keepTag' | 'immutable'>> & { keep?: string[]; immutable?: string[] } = {}): RetentionRule => ({
  ...(r.keepLast === undefined ? {} : { keepLast: r.keepLast }),
  ...(r.olderThanMs === undefined ? {} : { olderThanMs: r.olderThanMs }),
  keepTag: tagMatcher(r.keep ?? []),
  immutable: tagMatcher(r.immutable ?? []),
});

describe('expiredTags', () => {
  const cases: Array<[string, TagInfo[], RetentionRule, string[]]> = [
    ['no keepLast and no olderThan deletes nothing', hourly(5), rule(), []],
    ['keepLast 2 of 5 deletes the 3 oldest, newest first', hourly(5), rule({ keepLast: 2 }), ['t3', 't2', 't1']],
    ['keepLast 0 deletes every tag', hourly(2), rule({ keepLast: 0 }), ['t2', 't1']],
    ['keepLast beyond the count deletes nothing', hourly(3), rule({ keepLast: 10 }), []],
    ['olderThan 2h deletes tags pushed more than 2 h ago', hourly(5), rule({ olderThanMs: 2 * H }), ['t3', 't2', 't1']],
    ['a tag pushed exactly olderThan ago stays', hourly(2), rule({ olderThanMs: 2 * H }), []],
    ['both: outside the newest 4 and older than 2h', hourly(5), rule({ keepLast: 4, olderThanMs: 2 * H }), ['t1']],
    ['both: the newest N stay even when old', hourly(5), rule({ keepLast: 1, olderThanMs: 0 }), ['t4', 't3', 't2', 't1']],
    ['keepTags patterns stay (and still count in keepLast)', hourly(5), rule({ keepLast: 2, keep: ['t1', 't2'] }), ['t3']],
    ['immutable tags are never deleted', hourly(4), rule({ keepLast: 1, immutable: ['t?'] }), []],
    [
      'equal push times rank by tag name',
      [
        { tag: 'b', digest: 'x', pushedAtMs: NOW },
        { tag: 'a', digest: 'y', pushedAtMs: NOW },
        { tag: 'c', digest: 'z', pushedAtMs: NOW },
      ],
      rule({ keepLast: 1 }),
      ['b', 'c'],
    ],
  ];
  it.each(cases)('%s', (_name, tags, r, expected) => {
    expect(expiredTags(tags, r, NOW).map((t) => t.tag)).toEqual(expected);
  });
});

describe('manifestsToDelete', () => {
  const node = (digest: string, children: string[] = [], subject?: string): ManifestNode => ({ digest, children, ...(subject ? { subject } : {}) });
  const tag = (t: string, digest: string): TagInfo => ({ tag: t, digest, pushedAtMs: 0 });
  const cases: Array<[string, ManifestNode[], TagInfo[], string[], string[]]> = [
    ['an image whose only tag goes is deleted', [node('a'), node('b')], [tag('1', 'a'), tag('2', 'b')], ['1'], ['a']],
    ['a manifest still tagged by another tag stays', [node('a')], [tag('1', 'a'), tag('x', 'a')], ['1'], []],
    ['an index goes with its children', [node('i', ['c1', 'c2']), node('c1'), node('c2')], [tag('1', 'i')], ['1'], ['c1', 'c2', 'i']],
    [
      'a child shared with a kept index stays',
      [node('i', ['c1', 'c2']), node('j', ['c2']), node('c1'), node('c2')],
      [tag('1', 'i'), tag('2', 'j')],
      ['1'],
      ['c1', 'i'],
    ],
    ['a child that is tagged itself stays', [node('i', ['c1']), node('c1')], [tag('1', 'i'), tag('c', 'c1')], ['1'], ['i']],
    ['referrers of a deleted image go with it', [node('a'), node('sig', [], 'a'), node('sbom', [], 'a')], [tag('1', 'a')], ['1'], ['a', 'sbom', 'sig']],
    ['a tagged referrer keeps itself and its subject', [node('a'), node('sig', [], 'a')], [tag('1', 'a'), tag('s', 'sig')], ['1'], []],
    ['untagged manifests that were untagged before stay (GC decides)', [node('a'), node('loose')], [tag('1', 'a')], ['1'], ['a']],
    ['an untagged manifest that keeps a child keeps it', [node('a', ['c']), node('loose', ['c']), node('c')], [tag('1', 'a')], ['1'], ['a']],
    ['nothing removed, nothing deleted', [node('a')], [tag('1', 'a')], [], []],
    ['a tag pointing at a missing manifest deletes nothing else', [node('a')], [tag('1', 'gone'), tag('2', 'a')], ['1'], []],
  ];
  it.each(cases)('%s', (_name, nodes, tags, removed, expected) => {
    expect(manifestsToDelete(nodes, tags, new Set(removed))).toEqual(expected);
  });
});
