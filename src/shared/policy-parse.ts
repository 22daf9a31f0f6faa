/**
 * Parses and validates an access policy document (YAML text or already-parsed data). Everything is checked before
 * anything is used: the document against its schema (`src/shared/schemas/policy.ts`: an unknown field, a malformed
 * hash, pattern or time), then what a schema cannot say: htpasswd lines, a duplicate account, `everyone` granted more
 * than `pull`. Each refusal is a {@link PolicyError} naming the field. Rules naming an account the policy does not
 * have are only warned about (they match nobody), so removing a user never requires editing every rule first.
 */
import { parse as parseYaml } from 'yaml';
import { GROUP_PRINCIPALS, PASSWORD_HASH, POLICY_ACTIONS, PolicyError, type AccessPolicy, type PolicyAction, type PolicyRule, type PolicyUser } from './policy.js';
import { POLICY_WORDING, PolicyDocumentSchema, type PolicyDocument } from './schemas/policy.js';
import { firstProblem, problemAt, withoutNulls } from './schemas/validate.js';

export interface ParsedPolicy {
  policy: AccessPolicy;
  /** Things that are allowed but probably not meant (a rule naming an account the policy does not define). */
  warnings: string[];
}

/** `name:hash` lines of an htpasswd file; only bcrypt lines (`htpasswd -B`), as Distribution requires too. */
function parseHtpasswd(text: string | undefined, path: string): PolicyUser[] {
  const users: PolicyUser[] = [];
  (text ?? '').split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    const at = `${path} line ${i + 1}`;
    if (colon < 0) throw new PolicyError(at, 'must be name:hash');
    const hash = trimmed.slice(colon + 1);
    if (!PASSWORD_HASH.bcrypt.test(hash)) throw new PolicyError(at, 'only bcrypt lines are accepted (htpasswd -B)');
    const name = trimmed.slice(0, colon);
    const problem = problemAt(PolicyDocumentSchema.properties.users.items.properties.name, name, at, POLICY_WORDING);
    if (problem) throw new PolicyError(at, problem.message);
    users.push({ name, passwordHash: hash });
  });
  return users;
}

function expandActions(actions: ReadonlyArray<PolicyAction | '*'>): PolicyAction[] {
  if (actions.includes('*')) return [...POLICY_ACTIONS];
  return POLICY_ACTIONS.filter((a) => actions.includes(a));
}

function rule(raw: NonNullable<PolicyDocument['rules']>[number], i: number): PolicyRule {
  const actions = expandActions(raw.actions);
  if (raw.principals.includes(GROUP_PRINCIPALS.everyone) && actions.some((a) => a !== 'pull')) {
    throw new PolicyError(`rules[${i}].actions`, 'everyone (anonymous callers included) may only be granted pull');
  }
  return { ...raw, actions };
}

function checkUniqueAccounts(policy: AccessPolicy): void {
  const seen = new Set<string>();
  for (const name of [...policy.users.map((u) => u.name), ...policy.robots.map((r) => r.name)]) {
    if (seen.has(name)) throw new PolicyError('users/robots', `account "${name}" is defined twice`);
    seen.add(name);
  }
}

function checkUniqueLifecycle(policy: AccessPolicy): void {
  const seen = new Set<string>();
  (policy.lifecycle ?? []).forEach((entry, i) => {
    if (seen.has(entry.repository)) throw new PolicyError(`lifecycle[${i}].repository`, `"${entry.repository}" has two entries`);
    seen.add(entry.repository);
  });
}

function warningsFor(policy: AccessPolicy): string[] {
  const known = new Set([...policy.users.map((u) => `user:${u.name}`), ...policy.robots.map((r) => `robot:${r.name}`)]);
  const warnings: string[] = [];
  const check = (principals: string[], where: string): void => {
    for (const p of principals) {
      if (p.includes(':') && !known.has(p)) warnings.push(`${where} names ${p}, which this policy does not define`);
    }
  };
  policy.rules.forEach((r, i) => check(r.principals, `rules[${i}]`));
  check(policy.catalog, 'catalog');
  return warnings;
}

/** Validates parsed policy data; throws {@link PolicyError} naming the first bad field. */
export function parsePolicy(raw: unknown): ParsedPolicy {
  const doc = withoutNulls(raw);
  const problem = firstProblem(PolicyDocumentSchema, doc, POLICY_WORDING);
  if (problem) throw new PolicyError(problem.field, problem.message);
  const d = (doc ?? {}) as PolicyDocument;
  const policy: AccessPolicy = {
    users: [...(d.users ?? []), ...parseHtpasswd(d.htpasswd, 'htpasswd')],
    robots: d.robots ?? [],
    rules: [],
    catalog: d.catalog ?? [],
    ...(d.tenancy ? { tenancy: d.tenancy } : {}),
    ...(d.lifecycle?.length ? { lifecycle: d.lifecycle } : {}),
  };
  checkUniqueAccounts(policy);
  checkUniqueLifecycle(policy);
  policy.rules = (d.rules ?? []).map(rule);
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
