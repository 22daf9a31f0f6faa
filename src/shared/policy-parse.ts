/**
 * Parses and validates an access policy document (YAML text or already-parsed data). Everything is checked before
 * anything is used: an unknown field, a malformed hash or pattern, a duplicate account, or `everyone` granted more
 * than `pull` is refused with a {@link PolicyError} naming the field. Rules naming an account the policy does not
 * have are only warned about (they match nobody), so removing a user never requires editing every rule first.
 */
import { parse as parseYaml } from 'yaml';
import {
  ACCOUNT_NAME,
  GROUP_PRINCIPALS,
  PASSWORD_HASH,
  POLICY_ACTIONS,
  POLICY_VERSION,
  PolicyError,
  ROBOT_SECRET_HASH,
  isPrincipal,
  isRepositoryPattern,
  parseTime,
  type AccessPolicy,
  type PolicyAction,
  type PolicyRobot,
  type PolicyRobotSecret,
  type PolicyRule,
  type PolicyUser,
} from './policy.js';

export interface ParsedPolicy {
  policy: AccessPolicy;
  /** Things that are allowed but probably not meant (a rule naming an account the policy does not define). */
  warnings: string[];
}

type Obj = Record<string, unknown>;

function mapping(raw: unknown, path: string, allowed: readonly string[]): Obj {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Date) {
    throw new PolicyError(path, 'must be a mapping');
  }
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) throw new PolicyError(`${path}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
  return raw as Obj;
}

function list(raw: unknown, path: string): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new PolicyError(path, 'must be a list');
  return raw;
}

function text(raw: unknown, path: string): string {
  if (typeof raw !== 'string' || raw === '') throw new PolicyError(path, 'must be a non-empty string');
  return raw;
}

function optionalText(raw: unknown, path: string): string | undefined {
  return raw === undefined || raw === null ? undefined : text(raw, path);
}

function time(raw: unknown, path: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = raw instanceof Date ? raw.toISOString() : raw;
  if (typeof s !== 'string' || parseTime(s) === undefined) {
    throw new PolicyError(path, 'must be an RFC 3339 time such as 2030-01-01T00:00:00Z');
  }
  return s;
}

function strings(raw: unknown, path: string, check: (s: string) => boolean, what: string): string[] {
  const items = list(raw, path);
  if (items.length === 0) throw new PolicyError(path, 'must not be empty');
  return items.map((item, i) => {
    const s = text(item, `${path}[${i}]`);
    if (!check(s)) throw new PolicyError(`${path}[${i}]`, `"${s}" is not ${what}`);
    return s;
  });
}

function accountName(raw: unknown, path: string): string {
  const name = text(raw, path);
  if (!ACCOUNT_NAME.test(name)) {
    throw new PolicyError(path, `"${name}" is not a valid account name (letters, digits, . _ @ + -; at most 255)`);
  }
  return name;
}

function passwordHash(raw: unknown, path: string): string {
  const hash = text(raw, path);
  if (!PASSWORD_HASH.scrypt.test(hash) && !PASSWORD_HASH.bcrypt.test(hash)) {
    throw new PolicyError(path, 'must be a scrypt hash from `berth passwd` or a bcrypt hash ($2a$, $2b$, $2y$)');
  }
  return hash;
}

function parseUser(raw: unknown, path: string): PolicyUser {
  const o = mapping(raw, path, ['name', 'passwordHash', 'description']);
  const description = optionalText(o.description, `${path}.description`);
  return {
    name: accountName(o.name, `${path}.name`),
    passwordHash: passwordHash(o.passwordHash, `${path}.passwordHash`),
    ...(description === undefined ? {} : { description }),
  };
}

/** `name:hash` lines of an htpasswd file; only bcrypt lines (`htpasswd -B`), as Distribution requires too. */
function parseHtpasswd(raw: unknown, path: string): PolicyUser[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'string') throw new PolicyError(path, 'must be the text of an htpasswd file');
  const users: PolicyUser[] = [];
  raw.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    const at = `${path} line ${i + 1}`;
    if (colon < 0) throw new PolicyError(at, 'must be name:hash');
    const hash = trimmed.slice(colon + 1);
    if (!PASSWORD_HASH.bcrypt.test(hash)) throw new PolicyError(at, 'only bcrypt lines are accepted (htpasswd -B)');
    users.push({ name: accountName(trimmed.slice(0, colon), at), passwordHash: hash });
  });
  return users;
}

function parseRobotSecret(raw: unknown, path: string): PolicyRobotSecret {
  const o = mapping(raw, path, ['hash', 'expires']);
  const hash = text(o.hash, `${path}.hash`);
  if (!ROBOT_SECRET_HASH.test(hash)) throw new PolicyError(`${path}.hash`, 'must be sha256:<64 hex digits>');
  const expires = time(o.expires, `${path}.expires`);
  return { hash, ...(expires === undefined ? {} : { expires }) };
}

function parseRobot(raw: unknown, path: string): PolicyRobot {
  const o = mapping(raw, path, ['name', 'secrets', 'expires', 'description']);
  const secrets = list(o.secrets, `${path}.secrets`).map((s, i) => parseRobotSecret(s, `${path}.secrets[${i}]`));
  if (secrets.length === 0) throw new PolicyError(`${path}.secrets`, 'must hold at least one secret');
  const expires = time(o.expires, `${path}.expires`);
  const description = optionalText(o.description, `${path}.description`);
  return {
    name: accountName(o.name, `${path}.name`),
    secrets,
    ...(expires === undefined ? {} : { expires }),
    ...(description === undefined ? {} : { description }),
  };
}

function parseActions(raw: unknown, path: string): PolicyAction[] {
  const names = strings(raw, path, (s) => s === '*' || (POLICY_ACTIONS as readonly string[]).includes(s), 'pull, push, delete or *');
  if (names.includes('*')) return [...POLICY_ACTIONS];
  return POLICY_ACTIONS.filter((a) => names.includes(a));
}

function parseRule(raw: unknown, path: string): PolicyRule {
  const o = mapping(raw, path, ['repositories', 'principals', 'actions', 'description']);
  const rule: PolicyRule = {
    repositories: strings(o.repositories, `${path}.repositories`, isRepositoryPattern, 'a repository pattern'),
    principals: strings(o.principals, `${path}.principals`, isPrincipal, 'everyone, authenticated, user:NAME or robot:NAME'),
    actions: parseActions(o.actions, `${path}.actions`),
  };
  if (rule.principals.includes(GROUP_PRINCIPALS.everyone) && rule.actions.some((a) => a !== 'pull')) {
    throw new PolicyError(`${path}.actions`, 'everyone (anonymous callers included) may only be granted pull');
  }
  const description = optionalText(o.description, `${path}.description`);
  return description === undefined ? rule : { ...rule, description };
}

function checkUniqueAccounts(users: PolicyUser[], robots: PolicyRobot[]): void {
  const seen = new Set<string>();
  for (const name of [...users.map((u) => u.name), ...robots.map((r) => r.name)]) {
    if (seen.has(name)) throw new PolicyError('users/robots', `account "${name}" is defined twice`);
    seen.add(name);
  }
}

function warningsFor(policy: AccessPolicy): string[] {
  const known = new Set([...policy.users.map((u) => `user:${u.name}`), ...policy.robots.map((r) => `robot:${r.name}`)]);
  const warnings: string[] = [];
  const check = (principals: string[], where: string): void => {
    for (const p of principals) {
      if (p.includes(':') && !known.has(p)) warnings.push(`${where} names ${p}, which this policy does not define`);
    }
  };
  policy.rules.forEach((rule, i) => check(rule.principals, `rules[${i}]`));
  check(policy.catalog, 'catalog');
  return warnings;
}

/** Validates parsed policy data; throws {@link PolicyError} naming the first bad field. */
export function parsePolicy(raw: unknown): ParsedPolicy {
  const root = mapping(raw ?? {}, '(root)', ['version', 'users', 'htpasswd', 'robots', 'rules', 'catalog']);
  if (root.version !== undefined && root.version !== POLICY_VERSION) {
    throw new PolicyError('version', `must be ${POLICY_VERSION}`);
  }
  const users = [
    ...list(root.users, 'users').map((u, i) => parseUser(u, `users[${i}]`)),
    ...parseHtpasswd(root.htpasswd, 'htpasswd'),
  ];
  const robots = list(root.robots, 'robots').map((r, i) => parseRobot(r, `robots[${i}]`));
  checkUniqueAccounts(users, robots);
  const rules = list(root.rules, 'rules').map((r, i) => parseRule(r, `rules[${i}]`));
  const catalog =
    root.catalog === undefined || root.catalog === null || (Array.isArray(root.catalog) && root.catalog.length === 0)
      ? []
      : strings(root.catalog, 'catalog', isPrincipal, 'everyone, authenticated, user:NAME or robot:NAME');
  const policy: AccessPolicy = { users, robots, rules, catalog };
  return { policy, warnings: warningsFor(policy) };
}

/** Parses and validates the YAML text of a policy file or Secret. */
export function parsePolicyText(source: string): ParsedPolicy {
  // An empty document is far more often a file caught half-written than a wish to lock everyone out.
  if (source.trim() === '') throw new PolicyError('(document)', 'is empty (write `version: 1` for an empty policy)');
  let raw: unknown;
  try {
    raw = parseYaml(source);
  } catch (err) {
    throw new PolicyError('(document)', `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parsePolicy(raw);
}
