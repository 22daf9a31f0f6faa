/**
 * The status of a Repository as a pure function of what the reconcile did: `Ready` (its path and rules are in the
 * Registry's access policy, or why not) and `CredentialsSynced` (every selected namespace holds a working pull
 * Secret, and the push Secret exists when asked for), the number of synced namespaces and the last rotation time.
 * A condition keeps its lastTransitionTime while its status stays the same.
 */
import { finishCondition, type ConditionDraft } from '../../kube/conditions.js';
import type { RepositoryReport } from '../../shared/schemas/report.js';
import { lifecycleStatus } from './lifecycle-status.js';
import type { Admission } from './admission.js';
import { howToConsent } from './consent.js';
import type { NamespaceSelection } from './selection.js';
import { CONDITION_TYPES, REASONS, type Repository, type RepositoryStatus } from './types.js';

/** What happened to one Secret the reconcile wanted in place. */
export const OUTCOMES = {
  synced: 'synced',
  /** No secret of its robot is known to the registry yet (it will be after the propagation delay). */
  pending: 'pending',
  /** A Secret of that name exists and is not Berth's: it is left alone. */
  taken: 'taken',
  failed: 'failed',
} as const;
export type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

export interface RepositoryObservation {
  repo: Repository;
  admission: Admission;
  /** The Registry as `namespace/name`. */
  registryKey: string;
  path: string;
  selection?: NamespaceSelection;
  /** Outcome per namespace of the Registry's pull Secrets. */
  pullOutcomes?: ReadonlyMap<string, { outcome: Outcome; secret: string; message?: string }>;
  /** The push Secret, when asked for. */
  push?: { outcome: Outcome; secret: string; message?: string };
  lastRotationTime?: string;
  /** What the registry reported about the repository (its report ConfigMap), when it did. */
  usage?: { observedTime: string; report: RepositoryReport | undefined };
  /** When spec.access names users: how many, and those that cannot log in with the message saying why. */
  users?: { named: number; unknown: string[]; message?: string };
  now: Date;
}

type Draft = ConditionDraft;

function readyCondition(o: RepositoryObservation): Draft {
  const type = CONDITION_TYPES.ready;
  if (!o.admission.accepted) return { type, status: 'False', reason: o.admission.reason, message: o.admission.message };
  return { type, status: 'True', reason: REASONS.accepted, message: `${o.path} is in the access policy of Registry ${o.registryKey}` };
}

const list = (names: string[], max = 5): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

function problems(o: RepositoryObservation): { failed: string[]; taken: string[]; pending: string[]; synced: string[] } {
  const out = { failed: [] as string[], taken: [] as string[], pending: [] as string[], synced: [] as string[] };
  for (const ns of o.selection?.selected ?? []) {
    const r = o.pullOutcomes?.get(ns);
    const where = r ? `${ns}/${r.secret}` : ns;
    if (!r || r.outcome === 'pending') out.pending.push(where);
    else if (r.outcome === 'failed') out.failed.push(`${where}: ${r.message ?? 'write failed'}`);
    else if (r.outcome === 'taken') out.taken.push(where);
    else out.synced.push(ns);
  }
  if (o.push && o.push.outcome !== 'synced') {
    const where = `${o.repo.metadata.namespace}/${o.push.secret} (push)`;
    if (o.push.outcome === 'failed') out.failed.push(`${where}: ${o.push.message ?? 'write failed'}`);
    else if (o.push.outcome === 'taken') out.taken.push(where);
    else out.pending.push(where);
  }
  return out;
}

function syncedCondition(o: RepositoryObservation): Draft {
  const type = CONDITION_TYPES.credentialsSynced;
  if (!o.admission.accepted) return { type, status: 'False', reason: REASONS.notAccepted, message: 'no credentials while the Repository is not Ready' };
  const p = problems(o);
  if (p.failed.length) return { type, status: 'False', reason: REASONS.writeFailed, message: `could not write ${list(p.failed, 3)}` };
  const refused = o.selection?.refused ?? [];
  if (refused.length) {
    return {
      type,
      status: 'False',
      reason: REASONS.consentRequired,
      message:
        `nothing is written into ${list(refused)}: not consented to pull Secrets from namespace ${o.repo.metadata.namespace}; ` +
        `to consent, ${howToConsent(o.repo.metadata.namespace ?? '', o.registryKey)}`,
    };
  }
  if (p.taken.length) {
    return {
      type,
      status: 'False',
      reason: REASONS.secretNameTaken,
      message:
        `Secrets without Berth's ownership proof for Registry ${o.registryKey} already exist: ${list(p.taken)}; ` +
        'they are left alone: remove them, or set spec.pullSecret.secretName in a Repository of that namespace',
    };
  }
  if (p.pending.length) {
    return { type, status: 'False', reason: REASONS.pending, message: `waiting for the registry to load new credentials for ${list(p.pending)}` };
  }
  const missing = o.selection?.missing.length ? `; not found: ${list(o.selection.missing)}` : '';
  if (p.synced.length === 0 && !o.push) {
    return { type, status: 'True', reason: REASONS.noNamespaces, message: `no namespace is selected for a pull Secret${missing}` };
  }
  const push = o.push ? `; push Secret ${o.push.secret}` : '';
  return { type, status: 'True', reason: REASONS.synced, message: `pull Secret in ${p.synced.length} namespaces${push}${missing}` };
}

/** `UsersResolved`: whether every user spec.access names is defined in the Registry's users Secret. */
function usersCondition(o: RepositoryObservation, users: NonNullable<RepositoryObservation['users']>): Draft {
  const type = CONDITION_TYPES.usersResolved;
  if (users.unknown.length) return { type, status: 'False', reason: REASONS.unknownUsers, message: users.message ?? `unknown users: ${list(users.unknown)}` };
  return { type, status: 'True', reason: REASONS.usersResolved, message: `the ${users.named} users spec.access names are defined by the Registry` };
}

/** The status the Repository should have (pure). */
export function computeRepositoryStatus(o: RepositoryObservation): RepositoryStatus {
  const generation = o.repo.metadata.generation;
  const previous = o.repo.status?.conditions;
  const status: RepositoryStatus = {
    observedGeneration: generation,
    syncedNamespaces: o.admission.accepted ? problems(o).synced.length : 0,
    conditions: [finishCondition(readyCondition(o), previous, generation, o.now), finishCondition(syncedCondition(o), previous, generation, o.now)],
  };
  if (o.admission.accepted && o.users) status.conditions!.push(finishCondition(usersCondition(o, o.users), previous, generation, o.now));
  if (o.lastRotationTime) status.lastRotationTime = o.lastRotationTime;
  if (o.admission.accepted && o.usage) Object.assign(status, lifecycleStatus(o.usage.report, o.usage.observedTime));
  return status;
}
