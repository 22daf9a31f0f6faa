/**
 * Which secret of a robot may be handed out (pure). Order matters for a pull that must never fail: a secret goes
 * into a namespace's Secret only once the registry knows it, that is once it is in the policy the registry reads
 * (the live policy Secret) and the registry has had the propagation delay to load that policy. Until then the
 * Secret keeps the robot's previous secret (still valid: its overlap has not ended), or is not written yet.
 */
import { hashRobotSecret } from '../../shared/policy-secrets.js';
import type { Credential, StoredRobot } from './store.js';

export interface UsableSecret {
  /** The secret to hand out now; undefined when none is usable yet. */
  secret?: string;
  /** When (ms) the robot's current secret becomes usable, if it is not yet. */
  currentUsableAt?: number;
}

function usableAt(c: Credential, published: ReadonlySet<string>, now: number, delayMs: number): number {
  const issued = Date.parse(c.issuedAt);
  // Not in the live policy yet: it will be after this reconcile writes it, so count the delay from now.
  return published.has(hashRobotSecret(c.secret)) ? issued + delayMs : Math.max(issued, now) + delayMs;
}

/** The secret of `robot` to write into Secrets at `now`, given the hashes in the live policy. */
export function usableSecret(robot: StoredRobot, published: ReadonlySet<string>, now: number, delayMs: number): UsableSecret {
  const currentAt = usableAt(robot.current, published, now, delayMs);
  if (currentAt <= now) return { secret: robot.current.secret };
  const fallback = [...robot.previous]
    .reverse()
    .find((c) => Date.parse(c.retiresAt ?? '') > now && usableAt(c, published, now, delayMs) <= now);
  return { secret: fallback?.secret, currentUsableAt: currentAt };
}
