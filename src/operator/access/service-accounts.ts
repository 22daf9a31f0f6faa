/**
 * Adding a pull Secret to a ServiceAccount's `imagePullSecrets` without ever removing anyone else's entry (pure).
 *
 * The operator remembers what it added in an annotation on the ServiceAccount (a JSON map: Registry
 * `namespace/name` → Secret name), and only ever removes an entry it added itself. An entry the user added by hand
 * (even with the same name) is theirs and stays. The change is a JSON patch guarded by the ServiceAccount's
 * resourceVersion, so an edit made meanwhile by someone else is never overwritten: the patch fails and is retried
 * on the newer object.
 */
import { ACCESS_ANNOTATIONS, type ServiceAccount } from './types.js';

export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** RFC 6901 escaping of one JSON pointer token. */
export function pointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The operator's additions recorded on a ServiceAccount (an unreadable annotation counts as none). */
export function addedPullSecrets(sa: ServiceAccount): Record<string, string> {
  const text = sa.metadata.annotations?.[ACCESS_ANNOTATIONS.addedPullSecrets];
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

function sortedJson(map: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1))));
}

interface Desired {
  list: Array<{ name?: string }>;
  added: Record<string, string>;
}

/** The entries and the record after making `want` (or nothing) the operator's entry for `registryKey`. */
function desiredState(sa: ServiceAccount, registryKey: string, want: string | undefined): Desired {
  const added = { ...addedPullSecrets(sa) };
  let list = [...(sa.imagePullSecrets ?? [])];
  const had = added[registryKey];
  if (had !== undefined && had !== want) {
    const stillAddedByOthers = Object.entries(added).some(([k, v]) => k !== registryKey && v === had);
    if (!stillAddedByOthers) list = list.filter((e) => e.name !== had);
    delete added[registryKey];
  }
  if (want !== undefined) {
    const present = list.some((e) => e.name === want);
    if (!present) list.push({ name: want });
    if (!present || had === want) added[registryKey] = want;
  }
  return { list, added };
}

/**
 * The JSON patch that makes `want` (a Secret name, or undefined for none) the operator's `imagePullSecrets` entry
 * for the Registry `registryKey` on `sa`; undefined when nothing needs to change.
 */
export function pullSecretPatch(sa: ServiceAccount, registryKey: string, want: string | undefined): JsonPatchOp[] | undefined {
  const before = { list: sa.imagePullSecrets ?? [], added: addedPullSecrets(sa) };
  const after = desiredState(sa, registryKey, want);
  const listChanged = JSON.stringify(before.list) !== JSON.stringify(after.list);
  const addedChanged = sortedJson(before.added) !== sortedJson(after.added);
  if (!listChanged && !addedChanged) return undefined;
  const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: sa.metadata.resourceVersion }];
  if (listChanged) {
    if (after.list.length > 0) ops.push({ op: 'add', path: '/imagePullSecrets', value: after.list });
    else ops.push({ op: 'remove', path: '/imagePullSecrets' });
  }
  if (addedChanged) {
    const key = ACCESS_ANNOTATIONS.addedPullSecrets;
    const hasAnnotations = sa.metadata.annotations !== undefined;
    const empty = Object.keys(after.added).length === 0;
    if (!hasAnnotations) ops.push({ op: 'add', path: '/metadata/annotations', value: { [key]: sortedJson(after.added) } });
    else if (empty) ops.push({ op: 'remove', path: `/metadata/annotations/${pointerToken(key)}` });
    else ops.push({ op: 'add', path: `/metadata/annotations/${pointerToken(key)}`, value: sortedJson(after.added) });
  }
  return ops;
}
