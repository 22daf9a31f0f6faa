/**
 * Everything a Registry's Repositories ask for, as one pure function of what the caches hold: which Repositories are
 * in force, the robots and their secrets (minted, rotated, revoked), the access policy, the pull Secret of every
 * selected namespace and the push Secrets. The reconciler writes the result in a safe order (store, policy,
 * Secrets) and reports what happened in the Repositories' status.
 */
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { registryEndpoint } from '../registry/naming.js';
import { withDefaults, type Registry, type RegistrySpec } from '../registry/types.js';
import { buildAccessPolicy, policyTenancy, publishedHashes, renderAccessPolicy } from './access-policy.js';
import { admitRepositories, byAge, type Admission } from './admission.js';
import { robotsOf, wantedRobots, pullRobotName, pushRobotName, type AcceptedRepository, type WantedRobot } from './robots.js';
import { planCredentials, type CredentialPlan, type RotateRequest } from './rotation.js';
import { buildPullSecret, buildPushSecret, defaultPullSecretName, defaultPushSecretName, type RegistryRef } from './secrets.js';
import { consents, pullSecretGrantsOf } from './consent.js';
import { withOwnerProof, type OwnerKey } from './ownership.js';
import { accessProblem, invalidAccess } from './policy-isolation.js';
import { selectNamespaces } from './selection.js';
import type { CredentialStore } from './store.js';
import { ACCESS_ANNOTATIONS, repositorySpec, type Namespace, type Repository } from './types.js';
import { usableSecret } from './usable.js';
import { resolveUsers, type UsersSource } from './users.js';

export interface AccessInputs {
  registry: Registry;
  /** The Registry's spec with defaults (computed once per reconcile; from `registry` when absent). */
  registrySpec?: RegistrySpec;
  /** Every Repository that refers to the Registry (deleting ones included). */
  repositories: readonly Repository[];
  namespaces: readonly Namespace[];
  store: CredentialStore;
  /** The policy text the registry reads now (from the policy Secret). */
  livePolicy: string | undefined;
  now: number;
  mint: () => string;
  /** How long the registry may take to apply a policy change. */
  propagationDelayMs: number;
  /** The Registry's spec.auth.usersSecret as read; undefined when it sets none. */
  users?: UsersSource;
}

export interface PullSecretPlan {
  namespace: string;
  name: string;
  robot: string;
  /** `namespace/name` of the Repositories that selected the namespace, oldest first. */
  sources: string[];
  /** ServiceAccounts of the namespace whose imagePullSecrets should list the Secret. */
  serviceAccounts: string[];
  /** The Secret to write; undefined while no secret of the robot is usable yet. */
  object?: KubeObject;
}

export interface PushSecretPlan {
  repositoryKey: string;
  namespace: string;
  name: string;
  robot: string;
  object?: KubeObject;
}

export interface AccessPlan {
  admissions: Map<string, Admission>;
  accepted: AcceptedRepository[];
  wanted: Map<string, WantedRobot>;
  credentials: CredentialPlan;
  policyYaml: string;
  pullSecrets: PullSecretPlan[];
  pushSecrets: PushSecretPlan[];
  /** By Repository key: the user names its spec.access names that cannot log in (left out of the policy). */
  unknownUsers: Map<string, string[]>;
  /** When to reconcile again (a secret becoming usable, a rotation or an overlap end); capped at one hour. */
  requeueAfterMs?: number;
}

/** The longest requeue: timers beyond 2^31 ms fire at once in Node, and an hourly look costs nothing. */
export const MAX_REQUEUE_MS = 3_600_000;

/**
 * The Repositories in force, oldest first: admitted, with a valid part of the policy (the others are refused here,
 * alone), each selecting only namespaces that consent to its delivery.
 */
function acceptedRepositories(inputs: AccessInputs, admissions: Map<string, Admission>): AcceptedRepository[] {
  const grants = pullSecretGrantsOf(inputs.registry);
  const accepted: AcceptedRepository[] = [];
  for (const repo of [...inputs.repositories].sort(byAge)) {
    const key = objectKey(repo);
    if (!admissions.get(key)?.accepted) continue;
    const spec = repositorySpec(repo);
    const problem = accessProblem(spec);
    if (problem !== undefined) {
      admissions.set(key, invalidAccess(problem));
      continue;
    }
    const source = repo.metadata.namespace ?? '';
    accepted.push({ repo, key, spec, selection: selectNamespaces(spec.pullSecret, inputs.namespaces, (ns) => consents(grants, source, ns)) });
  }
  return accepted;
}

function rotateRequests(accepted: readonly AcceptedRepository[]): RotateRequest[] {
  return accepted.map((a) => ({
    uid: a.repo.metadata.uid ?? a.key,
    repository: a.key,
    value: a.repo.metadata.annotations?.[ACCESS_ANNOTATIONS.rotate] ?? '',
    robots: robotsOf(a),
  }));
}

interface SecretContext {
  registry: RegistryRef;
  owner: OwnerKey;
  host: string;
  credentials: CredentialPlan;
  published: Set<string>;
  inputs: AccessInputs;
  wakeAt: (ms: number | undefined) => void;
}

function secretFor(robot: string, ctx: SecretContext): string | undefined {
  const stored = ctx.credentials.store.robots[robot];
  if (!stored) return undefined;
  const usable = usableSecret(stored, ctx.published, ctx.inputs.now, ctx.inputs.propagationDelayMs);
  ctx.wakeAt(usable.currentUsableAt);
  return usable.secret;
}

/**
 * The name of a namespace's pull Secret: decided only by the namespace itself (the oldest of its own Repositories
 * that sets `spec.pullSecret.secretName`), otherwise the Registry's one fixed name. A Repository elsewhere can never
 * rename the Secret a namespace uses.
 */
export function pullSecretName(namespace: string, repos: readonly AcceptedRepository[], registry: RegistryRef): string {
  const own = repos.find((a) => a.repo.metadata.namespace === namespace && a.spec.pullSecret?.secretName);
  return own?.spec.pullSecret?.secretName ?? defaultPullSecretName(registry);
}

function pullSecretPlans(accepted: readonly AcceptedRepository[], ctx: SecretContext): PullSecretPlan[] {
  const byNamespace = new Map<string, AcceptedRepository[]>();
  for (const a of accepted) for (const ns of a.selection.selected) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), a]);
  return [...byNamespace.keys()].sort().map((namespace) => {
    const repos = byNamespace.get(namespace)!;
    const name = pullSecretName(namespace, repos, ctx.registry);
    const robot = pullRobotName(namespace);
    const sources = repos.map((a) => a.key);
    const serviceAccounts = [...new Set(repos.flatMap((a) => a.spec.pullSecret?.serviceAccounts ?? []))].sort();
    const secret = secretFor(robot, ctx);
    const object =
      secret === undefined
        ? undefined
        : withOwnerProof(buildPullSecret({ registry: ctx.registry, host: ctx.host, namespace, name, robot, secret, sources }), ctx.owner);
    return { namespace, name, robot, sources, serviceAccounts, object };
  });
}

function pushSecretPlans(accepted: readonly AcceptedRepository[], ctx: SecretContext): PushSecretPlan[] {
  return accepted
    .filter((a) => a.spec.pushCredentials.enabled)
    .map((a) => {
      const namespace = a.repo.metadata.namespace ?? '';
      const robot = pushRobotName(namespace, a.repo.metadata.name);
      const name = a.spec.pushCredentials.secretName ?? defaultPushSecretName(a.repo.metadata.name);
      const secret = secretFor(robot, ctx);
      const object =
        secret === undefined
          ? undefined
          : withOwnerProof(buildPushSecret({ registry: ctx.registry, host: ctx.host, repository: a.repo, path: a.spec.path, name, robot, secret }), ctx.owner);
      return { repositoryKey: a.key, namespace, name, robot, object };
    });
}

/** The ownership key of the Secrets written for `registry` (its uid and the store's marker key). */
export function ownerKeyOf(registry: Registry, store: CredentialStore): OwnerKey {
  return { markerKey: store.markerKey ?? '', registryUid: registry.metadata.uid ?? '' };
}

/** What the Registry's Repositories ask for now (pure, given `mint` and the time). */
export function planAccess(inputs: AccessInputs): AccessPlan {
  const { registry, now } = inputs;
  const admissions = admitRepositories(registry, inputs.repositories);
  const accepted = acceptedRepositories(inputs, admissions);
  const wanted = wantedRobots(accepted);
  const credentials = planCredentials({ store: inputs.store, wanted, requests: rotateRequests(accepted), now, mint: inputs.mint });
  credentials.store = { ...credentials.store, markerKey: inputs.store.markerKey ?? inputs.mint() };
  const people = resolveUsers(inputs.users, accepted, new Set(wanted.keys()));
  const policyYaml = renderAccessPolicy(
    buildAccessPolicy(accepted, wanted, credentials.store.robots, policyTenancy(registry, accepted), people.users),
  );
  let wake = credentials.nextAt;
  const ctx: SecretContext = {
    registry: { namespace: registry.metadata.namespace ?? '', name: registry.metadata.name },
    owner: ownerKeyOf(registry, credentials.store),
    host: registryEndpoint(registry.metadata.name, registry.metadata.namespace ?? '', inputs.registrySpec ?? withDefaults(registry.spec)).host,
    credentials,
    published: publishedHashes(inputs.livePolicy),
    inputs,
    wakeAt: (ms) => {
      if (ms !== undefined) wake = wake === undefined ? ms : Math.min(wake, ms);
    },
  };
  const pullSecrets = pullSecretPlans(accepted, ctx);
  const pushSecrets = pushSecretPlans(accepted, ctx);
  const requeueAfterMs = wake === undefined ? undefined : Math.min(MAX_REQUEUE_MS, Math.max(100, wake - now));
  return { admissions, accepted, wanted, credentials, policyYaml, pullSecrets, pushSecrets, unknownUsers: people.unknown, requeueAfterMs };
}
