import { pointerToken, pullSecretPatch, type JsonPatchOp } from '../../../../src/operator/access/service-accounts.js';
import type { ServiceAccount } from '../../../../src/operator/access/types.js';

const ANNOTATION = 'berth.dev/added-image-pull-secrets';
const REG = 'berth/reg';

function sa(entries: string[] | undefined, added?: Record<string, string>, other: Record<string, string> = {}): ServiceAccount {
  const annotations = added === undefined ? (Object.keys(other).length ? other : undefined) : { ...other, [ANNOTATION]: JSON.stringify(added) };
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace: 'team-a', resourceVersion: '42', ...(annotations ? { annotations } : {}) },
    ...(entries ? { imagePullSecrets: entries.map((name) => ({ name })) } : {}),
  };
}

/** Applies the JSON patch operations this module produces (test, add, remove on object members). */
function applyPatch(obj: ServiceAccount, ops: JsonPatchOp[]): ServiceAccount {
  const doc = structuredClone(obj) as unknown as Record<string, unknown>;
  for (const op of ops) {
    const tokens = op.path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop()!;
    const parent = tokens.reduce<Record<string, unknown>>((o, t) => o[t] as Record<string, unknown>, doc);
    if (op.op === 'test') expect(parent[last]).toEqual(op.value);
    else if (op.op === 'add') parent[last] = op.value;
    else delete parent[last];
  }
  return doc as unknown as ServiceAccount;
}

function after(obj: ServiceAccount, want: string | undefined): { entries: string[] | undefined; added: unknown } | 'unchanged' {
  const ops = pullSecretPatch(obj, REG, want);
  if (!ops) return 'unchanged';
  expect(ops[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: '42' });
  const patched = applyPatch(obj, ops);
  const text = patched.metadata.annotations?.[ANNOTATION];
  return { entries: patched.imagePullSecrets?.map((e) => e.name!), added: text === undefined ? undefined : JSON.parse(text) };
}

describe('pullSecretPatch', () => {
  test.each<[string, ServiceAccount, string | undefined, ReturnType<typeof after>]>([
    ['adds to an empty ServiceAccount and records it', sa(undefined), 'reg-pull', { entries: ['reg-pull'], added: { [REG]: 'reg-pull' } }],
    ["adds after the user's own entries, keeping them", sa(['mine', 'theirs']), 'reg-pull', { entries: ['mine', 'theirs', 'reg-pull'], added: { [REG]: 'reg-pull' } }],
    ['nothing to do when already added by us', sa(['mine', 'reg-pull'], { [REG]: 'reg-pull' }), 'reg-pull', 'unchanged'],
    ['an entry the user added with the same name stays theirs (not recorded)', sa(['reg-pull']), 'reg-pull', 'unchanged'],
    ['re-adds our entry removed by hand', sa(['mine'], { [REG]: 'reg-pull' }), 'reg-pull', { entries: ['mine', 'reg-pull'], added: { [REG]: 'reg-pull' } }],
    ['removes only our entry when no longer wanted', sa(['mine', 'reg-pull', 'x'], { [REG]: 'reg-pull' }), undefined, { entries: ['mine', 'x'], added: undefined }],
    ['never removes an entry the user added', sa(['mine', 'reg-pull']), undefined, 'unchanged'],
    ['renamed Secret: old entry out, new one in', sa(['mine', 'old-pull'], { [REG]: 'old-pull' }), 'new-pull', { entries: ['mine', 'new-pull'], added: { [REG]: 'new-pull' } }],
    [
      "another Registry's record is kept",
      sa(['other-pull', 'reg-pull'], { [REG]: 'reg-pull', 'x/other': 'other-pull' }),
      undefined,
      { entries: ['other-pull'], added: { 'x/other': 'other-pull' } },
    ],
    ['the last entry removed: the list goes', sa(['reg-pull'], { [REG]: 'reg-pull' }), undefined, { entries: undefined, added: undefined }],
  ])('%s', (_name, obj, want, expected) => {
    expect(after(obj, want)).toEqual(expected);
  });

  test("other annotations are untouched; an unreadable record counts as none", () => {
    const obj = sa(['mine'], undefined, { team: 'a', [ANNOTATION]: '{broken' });
    const patched = applyPatch(obj, pullSecretPatch(obj, REG, 'reg-pull')!);
    expect(patched.metadata.annotations).toEqual({ team: 'a', [ANNOTATION]: JSON.stringify({ [REG]: 'reg-pull' }) });
    expect(patched.imagePullSecrets).toEqual([{ name: 'mine' }, { name: 'reg-pull' }]);
  });

  test('JSON pointer escaping', () => {
    expect(pointerToken('berth.dev/added~x')).toBe('berth.dev~1added~0x');
  });
});
