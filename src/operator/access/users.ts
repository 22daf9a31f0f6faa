/**
 * People of a Registry (pure): the users of its `spec.auth.usersSecret`, and which of them the Repositories name.
 *
 * The Secret's key `users` holds one person per line, `name:hash`, where the hash is bcrypt (`htpasswd -B`, as in a
 * Distribution htpasswd file) or scrypt (`berth passwd`); blank lines and `#` comments are ignored. A bad line is
 * skipped and reported by line number (never its content: it holds a hash). Only the users some accepted
 * Repository names in `spec.access[].users` go into the access policy; a name the Secret does not define is left
 * out of the rules and reported in that Repository's status. So removing a line revokes that person's access on
 * the next policy update.
 */
import { ACCOUNT_NAME, PASSWORD_HASH, type PolicyUser } from '../../shared/policy.js';
import type { RepositorySpec } from './types.js';

/** The key of the users Secret that holds the lines. */
export const USERS_KEY = 'users';

/** What the operator read for a Registry's `spec.auth.usersSecret`. */
export interface UsersSource {
  /** `namespace/name` of the Secret. */
  secret: string;
  /** False when the Secret does not exist (every user name is then unknown). */
  found: boolean;
  users: PolicyUser[];
  /** Lines that were skipped, as messages without their content. */
  problems: string[];
}

/** Parses the `users` text of a users Secret (pure). */
export function parseUsers(text: string): { users: PolicyUser[]; problems: string[] } {
  const users: PolicyUser[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const at = `line ${i + 1}`;
    const colon = trimmed.indexOf(':');
    const name = colon < 0 ? '' : trimmed.slice(0, colon);
    const hash = colon < 0 ? '' : trimmed.slice(colon + 1);
    if (colon < 0) problems.push(`${at}: not name:hash`);
    else if (!ACCOUNT_NAME.test(name)) problems.push(`${at}: "${name.slice(0, 64)}" is not a user name`);
    else if (!PASSWORD_HASH.bcrypt.test(hash) && !PASSWORD_HASH.scrypt.test(hash)) problems.push(`${at}: user ${name} has neither a bcrypt nor a scrypt hash`);
    else if (seen.has(name)) problems.push(`${at}: user ${name} is defined again (the first line counts)`);
    else {
      seen.add(name);
      users.push({ name, passwordHash: hash });
    }
  });
  return { users, problems };
}

/** Every user name a Repository's spec.access names, sorted, once each. */
export function namedUsers(spec: Pick<RepositorySpec, 'access'>): string[] {
  return [...new Set(spec.access.flatMap((e) => e.users))].sort();
}

/**
 * The users of the policy and the names each Repository names that cannot log in (pure): a name is known when the
 * Secret defines it and no robot of the policy has it (robots and users share one namespace of accounts).
 */
export function resolveUsers(
  source: UsersSource | undefined,
  repositories: ReadonlyArray<{ key: string; spec: Pick<RepositorySpec, 'access'> }>,
  robotNames: ReadonlySet<string>,
): { users: PolicyUser[]; unknown: Map<string, string[]> } {
  const defined = new Map((source?.users ?? []).filter((u) => !robotNames.has(u.name)).map((u) => [u.name, u]));
  const used = new Map<string, PolicyUser>();
  const unknown = new Map<string, string[]>();
  for (const { key, spec } of repositories) {
    const missing: string[] = [];
    for (const name of namedUsers(spec)) {
      const user = defined.get(name);
      if (user) used.set(name, user);
      else missing.push(name);
    }
    if (missing.length) unknown.set(key, missing);
  }
  const users = [...used.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { users, unknown };
}

/** Why names are unknown, for a Repository's status (pure). */
export function unknownUsersMessage(names: readonly string[], source: UsersSource | undefined, registryKey: string): string {
  const list = names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
  const where = !source
    ? `Registry ${registryKey} has no spec.auth.usersSecret`
    : !source.found
      ? `Secret ${source.secret} (spec.auth.usersSecret of Registry ${registryKey}) does not exist`
      : `Secret ${source.secret} (spec.auth.usersSecret of Registry ${registryKey}) does not define them`;
  return `spec.access names users that cannot log in: ${list}; ${where}; they are left out of the access policy`;
}
