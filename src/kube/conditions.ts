/** Status conditions shared by every kind: a draft becomes a condition with its generation and transition time. */
import { kubeTime } from './objects.js';

/** A standard status condition (`metav1.Condition`). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** A condition before the bookkeeping fields are filled in. */
export type ConditionDraft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** Completes a draft; `lastTransitionTime` is kept when the status did not change (pure). */
export function finishCondition(
  draft: ConditionDraft,
  previous: Condition[] | undefined,
  generation: number | undefined,
  now: Date,
): Condition {
  const prev = previous?.find((c) => c.type === draft.type);
  return {
    ...draft,
    observedGeneration: generation,
    lastTransitionTime: prev && prev.status === draft.status ? prev.lastTransitionTime : kubeTime(now),
  };
}
