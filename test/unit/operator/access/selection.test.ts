import { matchesSelector, selectNamespaces } from '../../../../src/operator/access/selection.js';
import type { LabelSelector, PullSecretSpec } from '../../../../src/operator/access/types.js';
import { namespace } from './fixtures.js';

describe('matchesSelector', () => {
  const labels = { team: 'a', tier: 'prod' };
  test.each<[string, LabelSelector, Record<string, string> | undefined, boolean]>([
    ['empty selector matches everything', {}, labels, true],
    ['empty selector matches no labels', {}, undefined, true],
    ['matchLabels equal', { matchLabels: { team: 'a' } }, labels, true],
    ['matchLabels different value', { matchLabels: { team: 'b' } }, labels, false],
    ['matchLabels missing key', { matchLabels: { owner: 'x' } }, labels, false],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod', 'staging'] }] }, labels, true],
    ['In, key absent', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, labels, false],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['prod'] }] }, labels, false],
    ['NotIn, key absent', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, labels, true],
    ['Exists', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, labels, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, labels, false],
    ['all must hold', { matchLabels: { team: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['dev'] }] }, labels, false],
  ])('%s', (_name, selector, have, expected) => {
    expect(matchesSelector(selector, have)).toBe(expected);
  });
});

describe('selectNamespaces', () => {
  const namespaces = [
    namespace('team-a'),
    namespace('team-b', { 'berth.dev/pull': 'yes' }),
    namespace('team-c', { 'berth.dev/pull': 'yes' }),
    namespace('kube-system', { 'berth.dev/pull': 'yes' }),
    namespace('leaving', { 'berth.dev/pull': 'yes' }, 'Terminating'),
  ];
  const spec = (s: Partial<PullSecretSpec>): PullSecretSpec => ({ namespaces: [], excludeNamespaces: [], serviceAccounts: [], ...s });

  test.each<[string, PullSecretSpec | undefined, string[], string[]]>([
    ['no pullSecret', undefined, [], []],
    ['by name', spec({ namespaces: ['team-a', 'team-b'] }), ['team-a', 'team-b'], []],
    ['a named namespace that does not exist', spec({ namespaces: ['team-a', 'ghost'] }), ['team-a'], ['ghost']],
    ['by label, terminating skipped', spec({ namespaceSelector: { matchLabels: { 'berth.dev/pull': 'yes' } } }), ['kube-system', 'team-b', 'team-c'], []],
    [
      'names and labels together, exclusions win',
      spec({ namespaces: ['team-a', 'team-b'], namespaceSelector: { matchLabels: { 'berth.dev/pull': 'yes' } }, excludeNamespaces: ['kube-system', 'team-a'] }),
      ['team-b', 'team-c'],
      [],
    ],
    ['a terminating namespace named explicitly', spec({ namespaces: ['leaving'] }), [], ['leaving']],
  ])('%s', (_name, s, selected, missing) => {
    expect(selectNamespaces(s, namespaces)).toEqual({ selected, missing, refused: [] });
  });
});
