/**
 * Answers questions about a validated {@link AccessPolicy}: which account is this, what may this caller do to that
 * repository, may it list the catalog. Compiled once per policy version (patterns to regular expressions, rules
 * indexed by principal), so each answer costs a few map look-ups.
 */
import {
  GROUP_PRINCIPALS,
  isRepositoryName,
  parseTime,
  POLICY_ACTIONS,
  type AccessPolicy,
  type PolicyAction,
} from './policy.js';

/** Who a caller is: anonymous, or an account of the policy. */
export type Principal = { kind: 'anonymous' } | { kind: 'user'; name: string } | { kind: 'robot'; name: string };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** An account as the token service checks it: credential material and expiry times in milliseconds. */
export type Account =
  | { kind: 'user'; name: string; passwordHash: string }
  | {
      kind: 'robot';
      name: string;
      secrets: Array<{ hash: string; expiresAt: number | undefined }>;
      expiresAt: number | undefined;
    };

export interface PolicyIndex {
  readonly policy: AccessPolicy;
  /** The user or robot with this name. */
  account(name: string): Account | undefined;
  /** The actions `principal` may perform on `repository` (none for an invalid name). */
  actionsFor(principal: Principal, repository: string): readonly PolicyAction[];
  /** Whether `principal` may list `/v2/_catalog`. */
  mayListCatalog(principal: Principal): boolean;
}

/** Whether an account exists and has not expired at `now` (a robot past its expiry is as good as gone). */
export function isAccountActive(account: Account | undefined, now: number): account is Account {
  if (!account) return false;
  return account.kind === 'user' || account.expiresAt === undefined || now < account.expiresAt;
}

/** The principal of an account. */
export function principalOf(account: Account): Principal {
  return { kind: account.kind, name: account.name };
}

/** The principal strings of the policy that stand for this caller. */
function principalKeys(p: Principal): string[] {
  if (p.kind === 'anonymous') return [GROUP_PRINCIPALS.everyone];
  return [GROUP_PRINCIPALS.everyone, GROUP_PRINCIPALS.authenticated, `${p.kind}:${p.name}`];
}

/**
 * A repository pattern as a regular expression over `/` + name: a `**` component is any number (zero included) of
 * whole components, `*` any run of characters within one component.
 */
export function compilePattern(pattern: string): RegExp {
  const parts = pattern.split('/').map((c) => {
    if (c === '**') return '(?:/[^/]+)*';
    return '/' + c.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '[^/]*');
  });
  return new RegExp(`^${parts.join('')}$`);
}

/** Whether `repository` matches `pattern`. */
export function matchesPattern(pattern: string, repository: string): boolean {
  return compilePattern(pattern).test(`/${repository}`);
}

interface CompiledRule {
  patterns: RegExp[];
  actions: readonly PolicyAction[];
}

function indexRules(policy: AccessPolicy): Map<string, CompiledRule[]> {
  const byPrincipal = new Map<string, CompiledRule[]>();
  for (const rule of policy.rules) {
    const compiled = { patterns: rule.repositories.map(compilePattern), actions: rule.actions };
    for (const p of rule.principals) {
      const list = byPrincipal.get(p) ?? [];
      list.push(compiled);
      byPrincipal.set(p, list);
    }
  }
  return byPrincipal;
}

function indexAccounts(policy: AccessPolicy): Map<string, Account> {
  const accounts = new Map<string, Account>();
  for (const u of policy.users) accounts.set(u.name, { kind: 'user', name: u.name, passwordHash: u.passwordHash });
  for (const r of policy.robots) {
    accounts.set(r.name, {
      kind: 'robot',
      name: r.name,
      secrets: r.secrets.map((s) => ({ hash: s.hash, expiresAt: s.expires === undefined ? undefined : parseTime(s.expires) })),
      expiresAt: r.expires === undefined ? undefined : parseTime(r.expires),
    });
  }
  return accounts;
}

const MEMO_LIMIT = 20_000;

/** Compiles a validated policy for fast questions. */
export function indexPolicy(policy: AccessPolicy): PolicyIndex {
  const rules = indexRules(policy);
  const accounts = indexAccounts(policy);
  const memo = new Map<string, readonly PolicyAction[]>();
  const compute = (principal: Principal, repository: string): readonly PolicyAction[] => {
    const granted = new Set<PolicyAction>();
    const subject = `/${repository}`;
    for (const key of principalKeys(principal)) {
      for (const rule of rules.get(key) ?? []) {
        if (rule.patterns.some((re) => re.test(subject))) rule.actions.forEach((a) => granted.add(a));
      }
    }
    return POLICY_ACTIONS.filter((a) => granted.has(a));
  };
  return {
    policy,
    account: (name) => accounts.get(name),
    actionsFor(principal, repository) {
      if (!isRepositoryName(repository)) return [];
      const key = `${principal.kind}:${principal.kind === 'anonymous' ? '' : principal.name}\n${repository}`;
      let actions = memo.get(key);
      if (actions === undefined) {
        if (memo.size >= MEMO_LIMIT) memo.clear();
        actions = compute(principal, repository);
        memo.set(key, actions);
      }
      return actions;
    },
    mayListCatalog: (principal) => principalKeys(principal).some((k) => policy.catalog.includes(k)),
  };
}
