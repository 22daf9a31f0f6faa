/**
 * Kubernetes Events for what happened to credentials in one reconcile (pure): rotations and the end of overlap
 * windows are reported on each Repository whose credentials they concern (one Event per Repository, listing the
 * namespaces), revocations of robots nobody selects any more on the Registry.
 */
import type { KubeObject } from '../../kube/objects.js';
import type { Registry } from '../registry/types.js';
import type { EventType } from '../runtime/events.js';
import type { AccessPlan } from './plan.js';
import { robotsOf } from './robots.js';
import type { StoredRobot } from './store.js';

export interface PlannedEvent {
  object: KubeObject;
  type: EventType;
  reason: string;
  message: string;
}

export const EVENT_REASONS = { rotated: 'CredentialsRotated', revoked: 'CredentialsRevoked' } as const;

function describe(names: string[], robots: Readonly<Record<string, StoredRobot>>, gone: Readonly<Record<string, StoredRobot>>): string {
  const namespaces = names.map((n) => robots[n] ?? gone[n]).filter((r) => r?.kind === 'pull').map((r) => r!.namespace);
  const push = names.some((n) => (robots[n] ?? gone[n])?.kind === 'push');
  const parts: string[] = [];
  if (namespaces.length) {
    const shown = namespaces.slice(0, 5).join(', ') + (namespaces.length > 5 ? ` and ${namespaces.length - 5} more` : '');
    parts.push(`pull credentials of ${namespaces.length} namespace${namespaces.length === 1 ? '' : 's'} (${shown})`);
  }
  if (push) parts.push('the push credentials');
  return parts.join(' and ');
}

/** The Events to record for `plan`; `before` is the store the plan started from. */
export function credentialEvents(registry: Registry, plan: AccessPlan, before: Readonly<Record<string, StoredRobot>>): PlannedEvent[] {
  const events: PlannedEvent[] = [];
  const robots = plan.credentials.store.robots;
  const rotated = new Map(plan.credentials.rotated.map((r) => [r.robot, r]));
  const ended = new Set(plan.credentials.revoked.filter((r) => r.cause === 'overlapEnded').map((r) => r.robot));
  for (const a of plan.accepted) {
    const mine = robotsOf(a);
    const rot = mine.filter((n) => rotated.has(n)).map((n) => rotated.get(n)!);
    if (rot.length) {
      const requesters = [...new Set(rot.map((r) => r.by).filter((b): b is string => b !== undefined))];
      const why = requesters.length
        ? `as requested (berth.dev/rotate on Repository ${requesters.join(', ')})`
        : 'on schedule (spec.rotation.interval)';
      const until = rot.map((r) => r.retiresAt).sort()[0];
      const message = `rotated ${describe(rot.map((r) => r.robot), robots, before)} ${why}; the replaced secrets keep working until at least ${until}`;
      events.push({ object: a.repo, type: 'Normal', reason: EVENT_REASONS.rotated, message });
    }
    const end = mine.filter((n) => ended.has(n));
    if (end.length) {
      const message = `replaced secrets of ${describe(end, robots, before)} were revoked: their overlap window ended`;
      events.push({ object: a.repo, type: 'Normal', reason: EVENT_REASONS.revoked, message });
    }
  }
  const unselected = plan.credentials.revoked.filter((r) => r.cause === 'unselected').map((r) => r.robot);
  if (unselected.length) {
    const message = `revoked ${describe(unselected, robots, before)}: no Repository selects them any more`;
    events.push({ object: registry, type: 'Normal', reason: EVENT_REASONS.revoked, message });
  }
  return events;
}
