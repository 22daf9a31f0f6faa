/**
 * Credential lifecycle of a Registry's robots (pure, given a `mint` function and the time): mint secrets for new
 * robots, rotate on schedule or on a Repository's `berth.dev/rotate` request, keep each replaced secret until the
 * end of its overlap window, and revoke robots nobody needs any more. Returns the new store and what happened, for
 * Events, and when to look again.
 */
import type { WantedRobot } from './robots.js';
import type { Credential, CredentialStore, StoredRobot } from './store.js';

export interface RotateRequest {
  /** The Repository's uid. */
  uid: string;
  /** Its `namespace/name` (for Events). */
  repository: string;
  /** Its `berth.dev/rotate` annotation ('' when absent). */
  value: string;
  /** The robots its credentials consist of. */
  robots: string[];
}

export interface CredentialPlanInput {
  store: CredentialStore;
  wanted: ReadonlyMap<string, WantedRobot>;
  requests: readonly RotateRequest[];
  now: number;
  mint: () => string;
}

export const ROTATION_CAUSES = { schedule: 'schedule', request: 'request' } as const;
export const REVOCATION_CAUSES = { unselected: 'unselected', overlapEnded: 'overlapEnded' } as const;

export interface CredentialPlan {
  store: CredentialStore;
  minted: string[];
  /** `by`: the Repository whose request caused it. */
  rotated: Array<{ robot: string; cause: keyof typeof ROTATION_CAUSES; retiresAt: string; by?: string }>;
  revoked: Array<{ robot: string; cause: keyof typeof REVOCATION_CAUSES }>;
  /** When (ms since the epoch) a scheduled rotation or the end of an overlap is next due. */
  nextAt?: number;
}

/** Replaced secrets kept at once per robot; older ones retire early when rotations come faster than overlaps end. */
export const MAX_PREVIOUS = 4;

const iso = (ms: number): string => new Date(ms).toISOString();

function fresh(wanted: WantedRobot, secret: string, now: number): StoredRobot {
  const robot: StoredRobot = { kind: wanted.kind, namespace: wanted.namespace, current: { secret, issuedAt: iso(now) }, previous: [] };
  if (wanted.repository !== undefined) robot.repository = wanted.repository;
  return robot;
}

function rotate(robot: StoredRobot, overlapMs: number, now: number, secret: string): StoredRobot {
  const retired: Credential = { ...robot.current, retiresAt: iso(now + overlapMs) };
  return { ...robot, current: { secret, issuedAt: iso(now) }, previous: [...robot.previous, retired].slice(-MAX_PREVIOUS), rotatedAt: iso(now) };
}

/** Robots of the old store that are still wanted, with secrets past their overlap dropped; and what was revoked. */
function carryOver(input: CredentialPlanInput, plan: CredentialPlan): Record<string, StoredRobot> {
  const robots: Record<string, StoredRobot> = {};
  for (const [name, robot] of Object.entries(input.store.robots)) {
    if (!input.wanted.has(name)) {
      plan.revoked.push({ robot: name, cause: 'unselected' });
      continue;
    }
    const previous = robot.previous.filter((c) => Date.parse(c.retiresAt ?? '') > input.now);
    if (previous.length < robot.previous.length) plan.revoked.push({ robot: name, cause: 'overlapEnded' });
    robots[name] = { ...robot, previous };
  }
  return robots;
}

/**
 * Rotations asked for through annotations, by robot → the Repository that asked; records every request value (a
 * first sighting rotates nothing).
 */
function requestedRotations(input: CredentialPlanInput, requests: Record<string, string>): Map<string, string> {
  const names = new Map<string, string>();
  for (const { uid, repository, value, robots } of input.requests) {
    const seen = input.store.rotateRequests[uid];
    if (seen !== undefined && seen !== value) robots.forEach((r) => names.set(r, names.get(r) ?? repository));
    requests[uid] = value;
  }
  return names;
}

export function planCredentials(input: CredentialPlanInput): CredentialPlan {
  const { now, mint } = input;
  const plan: CredentialPlan = { store: input.store, minted: [], rotated: [], revoked: [] };
  const robots = carryOver(input, plan);
  const requests: Record<string, string> = {};
  const requested = requestedRotations(input, requests);
  const due = (at: number): void => {
    plan.nextAt = plan.nextAt === undefined ? at : Math.min(plan.nextAt, at);
  };
  for (const [name, wanted] of [...input.wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const robot = robots[name];
    if (!robot) {
      robots[name] = fresh(wanted, mint(), now);
      plan.minted.push(name);
    } else {
      const scheduledAt = wanted.intervalMs === undefined ? undefined : Date.parse(robot.rotatedAt ?? robot.current.issuedAt) + wanted.intervalMs;
      const cause = requested.has(name) ? 'request' : scheduledAt !== undefined && scheduledAt <= now ? 'schedule' : undefined;
      if (cause) {
        robots[name] = rotate(robot, wanted.overlapMs, now, mint());
        const by = requested.get(name);
        plan.rotated.push({ robot: name, cause, retiresAt: iso(now + wanted.overlapMs), ...(by ? { by } : {}) });
      }
    }
    const r = robots[name]!;
    if (wanted.intervalMs !== undefined) due(Date.parse(r.rotatedAt ?? r.current.issuedAt) + wanted.intervalMs);
    for (const c of r.previous) due(Date.parse(c.retiresAt!));
  }
  plan.store = { version: 1, robots, rotateRequests: requests };
  return plan;
}
