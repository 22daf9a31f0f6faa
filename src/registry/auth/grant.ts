/**
 * What a caller gets: the intersection of what it asked for and what the access policy allows it. Asking for more
 * is never an error (distribution `token.md`): a private repository the caller cannot read, a repository that does
 * not exist, a malformed name or an unknown resource type all yield an entry with no actions.
 */
import { POLICY_ACTIONS } from '../../shared/policy.js';
import type { PolicyIndex, Principal } from '../../shared/policy-match.js';
import type { AccessItem } from './types.js';

/** The one registry resource: `registry:catalog:*`. */
export const CATALOG = { type: 'registry', name: 'catalog', action: '*' } as const;

/** Whether the policy lets `principal` perform `action` on the resource `type:name`. */
export function policyAllows(index: PolicyIndex, principal: Principal, type: string, name: string, action: string): boolean {
  if (type === 'repository') return (index.actionsFor(principal, name) as readonly string[]).includes(action);
  if (type === CATALOG.type && name === CATALOG.name && action === CATALOG.action) return index.mayListCatalog(principal);
  return false;
}

/** The actions to grant on one requested item; `*` on a repository asks for every action. */
function grantItem(index: PolicyIndex, principal: Principal, item: AccessItem): string[] {
  const asked: readonly string[] =
    item.type === 'repository' && item.actions.includes('*') ? POLICY_ACTIONS : item.actions;
  return asked.filter((a) => policyAllows(index, principal, item.type, item.name, a));
}

/** The access to put in a token: every requested item, with only the actions the policy allows. */
export function grantAccess(index: PolicyIndex, principal: Principal, requested: readonly AccessItem[]): AccessItem[] {
  return requested.map((item) => ({ type: item.type, name: item.name, actions: grantItem(index, principal, item) }));
}
