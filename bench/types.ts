/**
 * Shared shapes of the benchmark: the two servers it compares, one scenario's samples, and the contract of the
 * optional auth benchmark module (`bench/auth.ts`, issue 3).
 */

/** The servers compared, in the order every scenario runs them within a round. */
export const SERVER_NAMES = ['berth', 'distribution'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

/** A registry process the benchmark started on loopback, with its own temporary storage. */
export interface BenchServer {
  name: ServerName;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, as clients name the registry. */
  host: string;
  pid: number;
  /** The storage root (removed by `stop()`). */
  storage: string;
  /** Where the process's stdout and stderr go. */
  logFile: string;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and removes its storage. */
  stop(): Promise<void>;
}

/** Whether a bigger or a smaller number is better. */
export type Better = 'higher' | 'lower';

/**
 * A scenario's target, as issue 2 states it.
 * - `ratio`: Berth ≥ min × Distribution (for `higher`), or ≤ (for `lower`).
 * - `ratioAndFloor`: also Berth ≥ floor (an absolute value in the scenario's unit).
 * - `berthMax`: Berth ≤ max, whatever Distribution does.
 */
export type Target =
  | { kind: 'ratio'; min: number }
  | { kind: 'ratioAndFloor'; min: number; floor: number; floorLabel: string }
  | { kind: 'berthMax'; max: number };

/** One scenario measured on both servers, one sample per round and server. */
export interface ScenarioResult {
  id: string;
  title: string;
  unit: string;
  better: Better;
  samples: Record<ServerName, number[]>;
  /** Server CPU time (user + system, all threads) per unit of work, where measured. */
  cpu?: { unit: string; samples: Record<ServerName, number[]> };
  /** How several samples make one figure (default median). */
  aggregate?: 'median' | 'max';
  target?: Target;
}

/** What `runAuthBench` receives from `bench/main.ts`. */
export interface AuthBenchContext {
  quick: boolean;
  /** A temporary folder for this run (removed afterwards). */
  workDir: string;
  rounds: number;
  wrkSeconds: number;
  /** Epoch ms after which the auth benchmark must stop starting new work. */
  deadlineAt: number;
}

/** What `runAuthBench` returns: a Markdown section for the report and its raw figures for the JSON file. */
export interface AuthBenchResult {
  markdown: string;
  json: unknown;
}
