/**
 * Pacing for a collection that runs inside a serving process: the collector calls the pacer between small steps,
 * and once it has worked for a slice the pacer rests it, so that its work is at most a given share of the wall
 * time. A slice is measured in wall time, which also counts the requests the loop served between the collector's
 * steps: the busier the process, the longer the rests, so requests come first. Pacing changes only how long a run
 * takes, never what it does or in which order (collector.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** A pause point: resolves at once, or after a rest when the slice is used up. */
export type Pace = () => Promise<void>;

/** Never rests (`berth gc`, tests). */
export const unpaced: Pace = () => Promise.resolve();

/** The longest rest: a slice stretched by one slow step does not stall the run (or its stop) for long. */
export const MAX_REST_MS = 1000;

/** The rest after working `workedMs`, so that work is `share` (0 < share ≤ 1) of the time, at most MAX_REST_MS (pure). */
export function restAfter(workedMs: number, share: number): number {
  if (share >= 1 || workedMs <= 0) return 0;
  return Math.min(MAX_REST_MS, (workedMs * (1 - share)) / share);
}

/** A pacer giving the work `share` of the time, in slices of at least `sliceMs`; one per run (it counts from its creation). */
export function pacer(share: number, sliceMs = 20, clock: () => number = () => performance.now()): Pace {
  let since = clock();
  return async () => {
    const worked = clock() - since;
    if (worked < sliceMs) return;
    await sleep(restAfter(worked, share));
    since = clock();
  };
}
