/**
 * The access policy of a Registry, rendered from its Repositories and its robots (pure). Rules, in order:
 * - public repositories: `everyone` may pull;
 * - each Repository's `spec.access` entries: the named users and robots, with the actions given (users only those
 *   the Registry's users Secret defines, when it is read: `users.ts`);
 * - pull robots: robots that may pull the same set of repositories share one rule (a label selector that picks
 *   many namespaces for many Repositories stays one rule, not namespaces × repositories);
 * - push robots: pull and push on their one repository.
 * Every robot lists its current secret, and the secrets it replaced with their end of overlap as `expires`, so the
 * registry itself refuses an old secret on time.
 */
import { type AccessPolicy, type PolicyRobot, type PolicyRule, type PolicyTenancy, type PolicyUser } from '../../shared/policy.js';
import type { Registry } from '../registry/types.js';
import { tenancyOf } from './tenancy.js';
import { policyLifecycle } from './lifecycle.js';
import { parsePolicyText } from '../../shared/policy-parse.js';
import { renderPolicy } from '../../shared/policy-render.js';
import { hashRobotSecret } from '../../shared/policy-secrets.js';
import type { AcceptedRepository, WantedRobot } from './robots.js';
import type { StoredRobot } from './store.js';

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function policyRobot(name: string, robot: StoredRobot): PolicyRobot {
  const secrets = [
    { hash: hashRobotSecret(robot.current.secret) },
    ...robot.previous.map((c) => ({ hash: hashRobotSecret(c.secret), expires: c.retiresAt! })),
  ];
  const description =
    robot.kind === 'pull' ? `pull credentials of namespace ${robot.namespace}` : `push credentials of Repository ${robot.namespace}/${robot.repository}`;
  return { name, secrets, description };
}

function publicRules(accepted: readonly AcceptedRepository[]): PolicyRule[] {
  const paths = accepted.filter((a) => a.spec.visibility === 'Public').map((a) => a.spec.path).sort();
  return paths.length ? [{ repositories: paths, principals: ['everyone'], actions: ['pull'], description: 'public repositories' }] : [];
}

/** `known`: the user names that may appear in rules (undefined: every name, as written). */
function accessRules(accepted: readonly AcceptedRepository[], known: ReadonlySet<string> | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const { key, spec } of [...accepted].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    for (const entry of spec.access) {
      const users = known ? entry.users.filter((u) => known.has(u)) : entry.users;
      const principals = [...users.map((u) => `user:${u}`), ...entry.robots.map((r) => `robot:${r}`)];
      if (principals.length === 0 || entry.actions.length === 0) continue;
      rules.push({ repositories: [spec.path], principals, actions: entry.actions, description: `spec.access of Repository ${key}` });
    }
  }
  return rules;
}

function robotRules(wanted: ReadonlyMap<string, WantedRobot>): PolicyRule[] {
  const pullGroups = new Map<string, string[]>();
  const rules: PolicyRule[] = [];
  for (const robot of [...wanted.values()].sort(byName)) {
    if (robot.kind === 'push') {
      rules.push({ repositories: robot.paths, principals: [`robot:${robot.name}`], actions: ['pull', 'push'], description: 'push credentials' });
      continue;
    }
    const key = robot.paths.join('\n');
    pullGroups.set(key, [...(pullGroups.get(key) ?? []), `robot:${robot.name}`]);
  }
  const pulls = [...pullGroups].sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    ...pulls.map(([paths, principals]) => ({
      repositories: paths.split('\n'),
      principals,
      actions: ['pull' as const],
      description: 'pull credentials of selected namespaces',
    })),
    ...rules,
  ];
}

/**
 * What the registry needs to authorize Kubernetes identities (pure): the Registry's tenancy (which namespace owns an
 * undeclared path) and the Repository declaring each accepted path, so a SubjectAccessReview names it. Undefined
 * when the Registry does not enable `spec.auth.kubernetes` (the policy stays as it was).
 */
export function policyTenancy(registry: Registry, accepted: readonly AcceptedRepository[]): PolicyTenancy | undefined {
  if (!registry.spec?.auth?.kubernetes?.enabled) return undefined;
  const tenancy = tenancyOf(registry);
  return {
    namespacePaths: tenancy.namespacePaths,
    grants: tenancy.grants.map((g) => ({ namespaces: [...g.namespaces], paths: [...g.paths] })),
    repositories: accepted
      .map((a) => ({ path: a.spec.path, namespace: a.repo.metadata.namespace ?? '', name: a.repo.metadata.name }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

/**
 * The policy for a Registry whose accepted Repositories are `accepted` and whose robots are `robots` (pure). `users`:
 * the people the Repositories name that the users Secret defines (`resolveUsers`); the rules then name only them.
 */
export function buildAccessPolicy(
  accepted: readonly AcceptedRepository[],
  wanted: ReadonlyMap<string, WantedRobot>,
  robots: Readonly<Record<string, StoredRobot>>,
  tenancy?: PolicyTenancy,
  users?: readonly PolicyUser[],
): AccessPolicy {
  const policyRobots = Object.entries(robots)
    .filter(([name]) => wanted.has(name))
    .map(([name, robot]) => policyRobot(name, robot))
    .sort(byName);
  const lifecycle = policyLifecycle(accepted);
  return {
    users: users ? [...users] : [],
    robots: policyRobots,
    rules: [...publicRules(accepted), ...accessRules(accepted, users && new Set(users.map((u) => u.name))), ...robotRules(wanted)],
    catalog: [],
    ...(tenancy ? { tenancy } : {}),
    ...(lifecycle.length ? { lifecycle } : {}),
  };
}

/** The YAML the operator writes into the policy Secret. */
export function renderAccessPolicy(policy: AccessPolicy): string {
  return renderPolicy(policy, 'berth access policy, written by the Berth operator from Repository resources; edits are overwritten');
}

/** Every robot secret hash of a policy text (what the registry accepts); empty when the text is not a valid policy. */
export function publishedHashes(policyYaml: string | undefined): Set<string> {
  try {
    const { policy } = parsePolicyText(policyYaml ?? '');
    return new Set(policy.robots.flatMap((r) => r.secrets.map((s) => s.hash)));
  } catch {
    return new Set();
  }
}
