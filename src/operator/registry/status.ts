/**
 * The status of a Registry as a pure function of what the operator observed: conditions `Available`,
 * `Progressing` and `Degraded` (each with observedGeneration, a reason constant and a message saying what to do),
 * the endpoint, replica counts, and the last garbage collection run the pods reported. A condition keeps its lastTransitionTime while its status stays the same.
 */
import type { KubeObject } from '../../kube/objects.js';
import { finishCondition, type ConditionDraft } from '../../kube/conditions.js';
import type { Endpoint } from './naming.js';
import { selectorString } from './naming.js';
import type { Condition } from '../../kube/conditions.js';
import type { Registry, RegistryStatus } from './types.js';
import type { GcRun } from '../../shared/schemas/report.js';
import { latestGcRun } from './gc.js';

export const CONDITION_TYPES = { available: 'Available', progressing: 'Progressing', degraded: 'Degraded' } as const;

export const REASONS = {
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  noReplicasAvailable: 'NoReplicasAvailable',
  scaledToZero: 'ScaledToZero',
  rollingOut: 'RollingOut',
  rolloutComplete: 'RolloutComplete',
  rolloutStuck: 'RolloutStuck',
  replicaFailure: 'ReplicaFailure',
  asExpected: 'AsExpected',
  invalidSpec: 'InvalidSpec',
  /** spec.image is not among the operator's --allowed-images. */
  imageNotAllowed: 'ImageNotAllowed',
  claimNotFound: 'ClaimNotFound',
  applyRejected: 'ApplyRejected',
  forbidden: 'Forbidden',
  blocked: 'Blocked',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

/** The parts of a Deployment the status reads. */
export interface ObservedDeployment extends KubeObject {
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface StatusInputs {
  registry: Registry;
  now: Date;
  desiredReplicas: number;
  endpoint?: Endpoint;
  claimName?: string;
  /** How the pods serve HTTPS (spec.tls); kept from the last status when absent with a problem. */
  tls?: RegistryStatus['tls'];
  deployment?: ObservedDeployment;
  /** Why the operator could not apply this generation (invalid spec, rejected write). */
  problem?: { reason: Reason; message: string };
  /** The last garbage collection run the pods reported (report ConfigMap, gc.json). */
  gcRun?: GcRun;
}

type Draft = ConditionDraft;

function availableCondition(desired: number, d: ObservedDeployment | undefined): Draft {
  const available = d?.status?.availableReplicas ?? 0;
  const type = CONDITION_TYPES.available;
  if (available > 0) {
    return { type, status: 'True', reason: REASONS.minimumReplicasAvailable, message: `${available} of ${desired} registry pods available` };
  }
  if (desired === 0) return { type, status: 'False', reason: REASONS.scaledToZero, message: 'spec.replicas is 0' };
  const name = d?.metadata.name ?? 'the registry Deployment';
  return {
    type,
    status: 'False',
    reason: REASONS.noReplicasAvailable,
    message: `0 of ${desired} registry pods available; check the pods of Deployment ${name} (kubectl describe pods)`,
  };
}

function rolloutComplete(desired: number, d: ObservedDeployment): boolean {
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === desired &&
    (s.replicas ?? 0) === desired &&
    (s.availableReplicas ?? 0) === desired
  );
}

function progressingCondition(desired: number, d: ObservedDeployment | undefined, problem: StatusInputs['problem']): Draft {
  const type = CONDITION_TYPES.progressing;
  if (problem) return { type, status: 'False', reason: REASONS.blocked, message: 'the operator cannot apply this spec; see the Degraded condition' };
  if (d && rolloutComplete(desired, d)) {
    return { type, status: 'False', reason: REASONS.rolloutComplete, message: `all ${desired} registry pods run the current spec` };
  }
  const s = d?.status ?? {};
  return {
    type,
    status: 'True',
    reason: REASONS.rollingOut,
    message: `${s.updatedReplicas ?? 0} of ${desired} pods updated, ${s.readyReplicas ?? 0} ready`,
  };
}

function degradedCondition(d: ObservedDeployment | undefined, problem: StatusInputs['problem']): Draft {
  const type = CONDITION_TYPES.degraded;
  if (problem) return { type, status: 'True', reason: problem.reason, message: problem.message };
  const conds = d?.status?.conditions ?? [];
  const failure = conds.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) return { type, status: 'True', reason: REASONS.replicaFailure, message: failure.message ?? 'pods cannot be created' };
  const stuck = conds.find((c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded');
  if (stuck) return { type, status: 'True', reason: REASONS.rolloutStuck, message: stuck.message ?? 'the rollout is stuck' };
  return { type, status: 'False', reason: REASONS.asExpected, message: 'no problems found' };
}

/** The status the Registry should have (pure). */
export function computeRegistryStatus(inputs: StatusInputs): RegistryStatus {
  const { registry, deployment: d, problem, desiredReplicas: desired, now } = inputs;
  const generation = registry.metadata.generation;
  const previous = registry.status?.conditions;
  const status: RegistryStatus = {
    observedGeneration: generation,
    replicas: d?.status?.replicas ?? 0,
    readyReplicas: d?.status?.readyReplicas ?? 0,
    selector: selectorString(registry.metadata.name),
    conditions: [
      finishCondition(availableCondition(desired, d), previous, generation, now),
      finishCondition(progressingCondition(desired, d, problem), previous, generation, now),
      finishCondition(degradedCondition(d, problem), previous, generation, now),
    ],
  };
  if (inputs.endpoint) {
    status.endpoint = inputs.endpoint.host;
    status.url = inputs.endpoint.url;
  } else if (registry.status?.endpoint) {
    status.endpoint = registry.status.endpoint;
    if (registry.status.url) status.url = registry.status.url;
  }
  if (inputs.claimName) status.claimName = inputs.claimName;
  const lastRun = latestGcRun(registry.status?.gc?.lastRun, inputs.gcRun);
  if (lastRun) status.gc = { lastRun };
  const tls = inputs.tls ?? (problem ? registry.status?.tls : undefined);
  if (tls) status.tls = tls;
  return status;
}

/** The condition of a type, if present. */
export function findCondition(status: RegistryStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
