/**
 * The access policy of a registry: who may log in (users, robots; anonymous callers need no entry) and what each
 * caller may do to which repositories. A contract shared by the registry (which reads it from a file, or in a
 * cluster from a Secret) and the operator (which renders it from Repository resources).
 *
 * @example
 * ```yaml
 * version: 1
 * users:
 *   - name: alice
 *     passwordHash: $scrypt$ln=15,r=8,p=3$…$…      # `berth passwd` prints one
 * htpasswd: |                                        # bcrypt lines of a Distribution htpasswd file
 *   bob:$2y$10$…
 * robots:
 *   - name: ci
 *     secrets:
 *       - hash: sha256:…                             # `berth passwd --robot` prints a secret and its hash
 *         expires: 2030-01-01T00:00:00Z              # optional: a rotated-out secret keeps working until then
 *     expires: 2031-01-01T00:00:00Z                  # optional: the robot itself
 * rules:
 *   - repositories: [team/**]
 *     principals: [user:alice, robot:ci]
 *     actions: [pull, push]
 *   - repositories: [library/*]
 *     principals: [everyone]                         # public: anonymous pull
 *     actions: [pull]
 * catalog: [user:alice]                              # who may list /v2/_catalog (filtered by pull access)
 * ```
 */
import type { Static } from '@sinclair/typebox';
import type { PolicyLifecycle } from './schemas/policy-lifecycle.js';
import type { PolicyRobotSchema, PolicyRuleSchema, PolicyTenancySchema, PolicyUserSchema } from './schemas/policy.js';

/** Actions a rule can grant on a repository. `*` in a rule is shorthand for all three. */
export const POLICY_ACTIONS = ['pull', 'push', 'delete'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** Principals that stand for groups of callers; single accounts are `user:NAME` and `robot:NAME`. */
export const GROUP_PRINCIPALS = {
  /** Every caller, logged in or not. May only be granted `pull` (a public repository). */
  everyone: 'everyone',
  /** Every caller that logged in as a user or robot of this policy. */
  authenticated: 'authenticated',
} as const;

export const POLICY_VERSION = 1;

export type { PolicyRobot, PolicyRobotSecret, PolicyTenancy, PolicyUser } from './schemas/policy.js';
export type { PolicyLifecycle, PolicyRetention } from './schemas/policy-lifecycle.js';

/** A rule with `*` expanded: the actions it grants. */
export type PolicyRule = Omit<Static<typeof PolicyRuleSchema>, 'actions'> & { actions: PolicyAction[] };

/** A validated policy (the schema of the document is `PolicyDocumentSchema`; htpasswd users are among `users`). */
export interface AccessPolicy {
  users: Static<typeof PolicyUserSchema>[];
  robots: Static<typeof PolicyRobotSchema>[];
  rules: PolicyRule[];
  /** Principals allowed `registry:catalog:*`. */
  catalog: string[];
  /** Which namespace governs which path (for Kubernetes identities); absent: each namespace owns its own name. */
  tenancy?: Static<typeof PolicyTenancySchema>;
  /** Immutable tags, quota and retention per repository (schemas/policy-lifecycle.ts); absent: none. */
  lifecycle?: PolicyLifecycle[];
}

/** An empty policy: nobody can log in, nothing is allowed. */
export function emptyPolicy(): AccessPolicy {
  return { users: [], robots: [], rules: [], catalog: [] };
}

/** A problem in a policy document, naming the field (`rules[2].principals[0]`). */
export class PolicyError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`policy: ${field}: ${problem}`);
    this.name = 'PolicyError';
  }
}

/**
 * Account names (users and robots share one namespace), at most 255 characters: room for robot names the
 * operator derives from a namespace and a registry name.
 */
export const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$/;

/** Repository name grammar of the distribution spec (kept here so `src/shared` depends on nothing else). */
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_NAME = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);

/** Whether `name` is a valid repository name (at most 255 characters). */
export function isRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && REPOSITORY_NAME.test(name);
}

/** One pattern component: `**`, or name characters with `*` wildcards (never two in a row). */
const PATTERN_COMPONENT = /^(?:\*\*|(?!.*\*\*)[a-z0-9._*-]+)$/;

/** Whether `pattern` is a valid repository pattern. */
export function isRepositoryPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 255 && pattern.split('/').every((c) => PATTERN_COMPONENT.test(c));
}

/** Hash formats a user's `passwordHash` may have. */
export const PASSWORD_HASH = {
  scrypt: /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/,
  bcrypt: /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/,
} as const;

export const ROBOT_SECRET_HASH = /^sha256:[0-9a-f]{64}$/;

/** Whether `principal` is well formed (it may still name an account the policy does not have). */
export function isPrincipal(principal: string): boolean {
  if (principal === GROUP_PRINCIPALS.everyone || principal === GROUP_PRINCIPALS.authenticated) return true;
  const m = /^(user|robot):(.*)$/.exec(principal);
  return m !== null && ACCOUNT_NAME.test(m[2]!);
}

/** RFC 3339 date-time with a zone, as Kubernetes and YAML write them. */
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/;

/** Milliseconds since the epoch for an RFC 3339 time, or undefined when `text` is not one. */
export function parseTime(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}
