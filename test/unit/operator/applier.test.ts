import { isApplied, isSubset, overlay, withDesiredHash } from '../../../src/operator/runtime/applier.js';
import { canonicalJson } from '../../../src/shared/canonical-json.js';
import type { KubeObject } from '../../../src/kube/objects.js';

describe('isSubset', () => {
  test.each<[string, unknown, unknown, boolean]>([
    ['equal scalars', 1, 1, true],
    ['different scalars', 'a', 'b', false],
    ['extra live fields (defaults) are ignored', { a: 1 }, { a: 1, b: 2 }, true],
    ['a field we set was changed', { a: { b: 1 } }, { a: { b: 2 } }, false],
    ['a field we set was removed', { a: 1 }, {}, false],
    ['arrays match element-wise with extra fields', [{ n: 1 }], [{ n: 1, x: 0 }], true],
    ['arrays of another length', [1], [1, 2], false],
    ['arrays in another order', [1, 2], [2, 1], false],
    ['empty map matches a dropped one', { a: {} }, {}, true],
    ['empty list matches a dropped one', { a: [] }, {}, true],
    ['undefined in desired is ignored', { a: undefined, b: 1 }, { b: 1 }, true],
    ['object versus scalar', { a: { b: 1 } }, { a: 'x' }, false],
  ])('%s', (_n, desired, live, expected) => {
    expect(isSubset(desired, live)).toBe(expected);
  });
});

const desired: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 's', namespace: 'n', labels: { a: 'b' } },
  spec: { ports: [{ port: 80 }] },
};

function live(over: Partial<KubeObject> = {}, hash = withDesiredHash(desired).metadata.annotations!['berth.dev/desired-hash']): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'n', resourceVersion: '7', labels: { a: 'b', extra: 'x' }, annotations: { 'berth.dev/desired-hash': hash! } },
    spec: { ports: [{ port: 80, protocol: 'TCP' }], clusterIP: '10.0.0.1' },
    ...over,
  };
}

describe('isApplied', () => {
  const target = withDesiredHash(desired);

  test.each<[string, KubeObject | undefined, boolean]>([
    ['missing', undefined, false],
    ['same fields plus server defaults', live(), true],
    ['hand-edited field we own', live({ spec: { ports: [{ port: 81 }] } }), false],
    ['another desired hash (the desire changed)', live({}, 'old'), false],
    ['being deleted', live({ metadata: { ...live().metadata, deletionTimestamp: '2030-01-01T00:00:00Z' } }), false],
  ])('%s', (_n, l, expected) => {
    expect(isApplied(target, l)).toBe(expected);
  });

  test('a normalised value is accepted when the live object is the version our own apply returned', () => {
    const normalised = live({ spec: { ports: [{ port: '80' }] } });
    const hash = target.metadata.annotations!['berth.dev/desired-hash']!;
    expect(isApplied(target, normalised)).toBe(false);
    expect(isApplied(target, normalised, { resourceVersion: '7', hash })).toBe(true);
    expect(isApplied(target, normalised, { resourceVersion: '6', hash })).toBe(false);
  });
});

describe('withDesiredHash', () => {
  test('key order does not change the hash; content does', () => {
    const a = withDesiredHash({ ...desired, spec: { x: 1, y: 2 } });
    const b = withDesiredHash({ ...desired, spec: { y: 2, x: 1 } });
    const c = withDesiredHash({ ...desired, spec: { x: 1, y: 3 } });
    expect(a.metadata.annotations).toEqual(b.metadata.annotations);
    expect(a.metadata.annotations).not.toEqual(c.metadata.annotations);
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 0 }] })).toBe('{"a":[2,{"c":0,"d":1}],"b":1}');
  });
});

describe('overlay', () => {
  test.each<[string, unknown, unknown, unknown]>([
    ['our scalars win, theirs stay', { a: 1, b: 2 }, { a: 9 }, { a: 9, b: 2 }],
    ['nested maps merge', { m: { x: 1, y: 2 } }, { m: { y: 3 } }, { m: { x: 1, y: 3 } }],
    ['our lists replace theirs (a hand-edited port entry goes)', { ports: [{ port: 6000, name: 'http' }] }, { ports: [{ port: 5000, name: 'http' }] }, { ports: [{ port: 5000, name: 'http' }] }],
    ['undefined in desired keeps live', { a: 1 }, { a: undefined }, { a: 1 }],
    ['a map over a scalar', { a: 'x' }, { a: { b: 1 } }, { a: { b: 1 } }],
  ])('%s', (_n, live, desired, expected) => {
    expect(overlay(live, desired)).toEqual(expected);
  });
});
