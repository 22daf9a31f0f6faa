/**
 * Docker token scopes: parsing (`repository:team/app:pull,push`, `repository(plugin):…`, `registry:catalog:*`,
 * names with a `host:port` prefix), formatting, and checking what a list of access items covers.
 *
 * Grammar (distribution `docs/spec/auth/scope.md`): `type[(class)] ":" name ":" action ("," action)*`, several
 * scopes separated by spaces. The name may itself hold a colon, so the type ends at the first colon and the actions
 * start after the last one. The class is deprecated and ignored.
 */
import type { AccessItem } from './types.js';

/** At most this many distinct resources are considered in one token request; the rest are ignored. */
export const MAX_SCOPE_RESOURCES = 64;
/** Scope parameters longer than this (all values together) are cut, so a request cannot make us parse megabytes. */
export const MAX_SCOPE_TEXT = 16 * 1024;

const TYPE = /^([a-z0-9]+)(?:\([a-z0-9]+\))?$/;
const ACTION = /^(?:[a-z]+|\*)$/;

/** One scope, or undefined when it is malformed (malformed scopes are ignored, never an error). */
export function parseScope(scope: string): AccessItem | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = TYPE.exec(scope.slice(0, first))?.[1];
  const name = scope.slice(first + 1, last);
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => a !== '');
  if (!type || name === '' || actions.length === 0 || !actions.every((a) => ACTION.test(a))) return undefined;
  return { type, name, actions: [...new Set(actions)] };
}

/**
 * Every scope in a list of `scope` parameters (each may hold several, space separated), merged per resource: asking
 * for `repository:a:pull` and `repository:a:push` is asking for `repository:a:pull,push`.
 */
export function parseScopes(values: readonly string[]): AccessItem[] {
  const merged = new Map<string, AccessItem>();
  let budget = MAX_SCOPE_TEXT;
  for (const value of values) {
    const text = value.slice(0, Math.max(0, budget));
    budget -= value.length;
    for (const part of text.split(' ')) {
      const item = part === '' ? undefined : parseScope(part);
      if (!item) continue;
      const key = `${item.type}\n${item.name}`;
      const existing = merged.get(key);
      if (existing) {
        existing.actions = [...new Set([...existing.actions, ...item.actions])];
      } else if (merged.size < MAX_SCOPE_RESOURCES) {
        merged.set(key, item);
      }
    }
  }
  return [...merged.values()];
}

/** `type:name:a,b` */
export function formatScope(item: AccessItem): string {
  return `${item.type}:${item.name}:${item.actions.join(',')}`;
}

/** Space-separated scopes, as in a challenge's `scope` or an OAuth2 `scope` field; items without actions left out. */
export function formatScopes(items: readonly AccessItem[]): string {
  return items
    .filter((i) => i.actions.length > 0)
    .map(formatScope)
    .join(' ');
}

/** Whether `granted` holds `action` on the resource of `item` (action names compared exactly: `*` only means `*`). */
export function grants(granted: readonly AccessItem[], type: string, name: string, action: string): boolean {
  return granted.some((g) => g.type === type && g.name === name && g.actions.includes(action));
}

/** Whether `granted` holds every action of every required item. */
export function covers(granted: readonly AccessItem[], required: readonly AccessItem[]): boolean {
  return required.every((r) => r.actions.every((a) => grants(granted, r.type, r.name, a)));
}

/** Whether a token's `access` claim has the expected shape (anything else makes the token invalid). */
export function isAccessClaim(value: unknown): value is AccessItem[] {
  return (
    Array.isArray(value) &&
    value.every(
      (i: unknown) =>
        typeof i === 'object' &&
        i !== null &&
        typeof (i as AccessItem).type === 'string' &&
        typeof (i as AccessItem).name === 'string' &&
        Array.isArray((i as AccessItem).actions) &&
        (i as AccessItem).actions.every((a) => typeof a === 'string'),
    )
  );
}
