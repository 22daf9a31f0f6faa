/**
 * The robots a Registry needs (pure): one pull robot per selected namespace, allowed to pull exactly the
 * repositories that selected that namespace, and one push robot per Repository that asks for push credentials.
 * A pull robot serves several Repositories; it rotates as often as the most demanding of them asks, and its
 * replaced secret keeps working for the longest overlap any of them asks for.
 */
import { createHash } from 'node:crypto';
import { parseDuration } from '../../shared/duration.js';
import { ACCOUNT_NAME } from '../../shared/policy.js';
import type { NamespaceSelection } from './selection.js';
import { ROBOT_KINDS, type RobotKind } from './store.js';
import type { Repository, RepositorySpec } from './types.js';

/** A Repository in force, with its resolved spec and the namespaces it selects. */
export interface AcceptedRepository {
  repo: Repository;
  key: string;
  spec: RepositorySpec;
  selection: NamespaceSelection;
}

export interface WantedRobot {
  name: string;
  kind: RobotKind;
  namespace: string;
  /** Push robots: the Repository's name. */
  repository?: string;
  /** Repository paths: pulled (pull robot), or pulled and pushed (push robot). */
  paths: string[];
  /** Rotate this often; undefined: only on request. */
  intervalMs?: number;
  overlapMs: number;
  /** `namespace/name` of the Repositories it serves. */
  sources: string[];
}

/** The shortest overlap the operator uses, whatever the spec says: replaced secrets must outlive the switch-over. */
export const MIN_OVERLAP_MS = 10_000;

/** A name within the 255 characters of an account name: long names keep a prefix and get a hash suffix. */
function boundedAccountName(name: string): string {
  if (name.length <= 255) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.slice(0, 255 - hash.length - 1)}-${hash}`;
}

/** The pull robot of a namespace: `pull.<namespace>` (namespace names have no dots, so it cannot collide). */
export function pullRobotName(namespace: string): string {
  return `pull.${namespace}`;
}

/** The push robot of a Repository: `push.<namespace>.<name>`. */
export function pushRobotName(namespace: string, name: string): string {
  const robot = boundedAccountName(`push.${namespace}.${name}`);
  if (!ACCOUNT_NAME.test(robot)) throw new Error(`cannot derive a robot name from ${namespace}/${name}`);
  return robot;
}

function timing(spec: RepositorySpec): { intervalMs?: number; overlapMs: number } {
  const interval = spec.rotation.interval === undefined ? undefined : parseDuration(spec.rotation.interval);
  const overlap = parseDuration(spec.rotation.overlap) ?? 0;
  return { intervalMs: interval && interval > 0 ? interval : undefined, overlapMs: Math.max(MIN_OVERLAP_MS, overlap) };
}

/** A robot being gathered from the Repositories it serves: paths and sources as sets, sorted once at the end. */
interface Gathered {
  robot: WantedRobot;
  paths: Set<string>;
  sources: Set<string>;
}

function mergeInto(robots: Map<string, Gathered>, wanted: WantedRobot): void {
  const have = robots.get(wanted.name);
  if (!have) {
    robots.set(wanted.name, { robot: wanted, paths: new Set(wanted.paths), sources: new Set(wanted.sources) });
    return;
  }
  const intervals = [have.robot.intervalMs, wanted.intervalMs].filter((x): x is number => x !== undefined);
  have.robot = { ...have.robot, intervalMs: intervals.length ? Math.min(...intervals) : undefined, overlapMs: Math.max(have.robot.overlapMs, wanted.overlapMs) };
  for (const path of wanted.paths) have.paths.add(path);
  for (const source of wanted.sources) have.sources.add(source);
}

/**
 * Every robot the accepted Repositories of one Registry need, by name. Linear in (Repositories × namespaces each
 * selects): at 100 Repositories selecting 1,000 namespaces each, a pull robot is merged 100 times.
 */
export function wantedRobots(accepted: readonly AcceptedRepository[]): Map<string, WantedRobot> {
  const robots = new Map<string, Gathered>();
  for (const { repo, key, spec, selection } of accepted) {
    const t = timing(spec);
    for (const namespace of selection.selected) {
      mergeInto(robots, { name: pullRobotName(namespace), kind: ROBOT_KINDS.pull, namespace, paths: [spec.path], ...t, sources: [key] });
    }
    if (spec.pushCredentials.enabled) {
      const namespace = repo.metadata.namespace ?? '';
      const name = pushRobotName(namespace, repo.metadata.name);
      mergeInto(robots, {
        name,
        kind: ROBOT_KINDS.push,
        namespace,
        repository: repo.metadata.name,
        paths: [spec.path],
        ...t,
        sources: [key],
      });
    }
  }
  const out = new Map<string, WantedRobot>();
  for (const [name, g] of robots) out.set(name, { ...g.robot, paths: [...g.paths].sort(), sources: [...g.sources].sort() });
  return out;
}

/** The robots a Repository's credentials consist of (what its `berth.dev/rotate` annotation rotates). */
export function robotsOf(accepted: AcceptedRepository): string[] {
  const names = accepted.selection.selected.map(pullRobotName);
  if (accepted.spec.pushCredentials.enabled) names.push(pushRobotName(accepted.repo.metadata.namespace ?? '', accepted.repo.metadata.name));
  return names;
}
