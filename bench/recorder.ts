/**
 * Collects samples while rounds run: each scenario is declared once (title, unit, target), then every
 * measurement adds one sample for one server. Also the time limit every loop checks before it starts work.
 */
import { SERVER_NAMES, type Better, type ScenarioResult, type ServerName, type Target } from './types.js';

export interface ScenarioSpec {
  id: string;
  title: string;
  unit: string;
  better: Better;
  target?: Target;
  aggregate?: 'median' | 'max';
  /** Unit of the server CPU figure, when CPU is recorded (e.g. `CPU s/GiB`). */
  cpuUnit?: string;
}

function emptySamples(): Record<ServerName, number[]> {
  return Object.fromEntries(SERVER_NAMES.map((name) => [name, [] as number[]])) as Record<ServerName, number[]>;
}

export class Recorder {
  readonly #results = new Map<string, ScenarioResult>();

  /** `log` receives one progress line per sample. */
  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** Declares a scenario (once; later calls with the same id are ignored). */
  declare(spec: ScenarioSpec): void {
    if (this.#results.has(spec.id)) return;
    const { cpuUnit, ...rest } = spec;
    this.#results.set(spec.id, {
      ...rest,
      samples: emptySamples(),
      ...(cpuUnit ? { cpu: { unit: cpuUnit, samples: emptySamples() } } : {}),
    });
  }

  /** Adds one sample, and optionally the server CPU figure that goes with it. */
  add(id: string, server: ServerName, value: number, cpu?: number): void {
    const result = this.#results.get(id);
    if (!result) throw new Error(`scenario ${id} was not declared`);
    result.samples[server].push(value);
    if (cpu !== undefined) result.cpu?.samples[server].push(cpu);
    const cpuText = cpu !== undefined && result.cpu ? `, ${cpu.toPrecision(3)} ${result.cpu.unit}` : '';
    this.log(`  ${result.title} — ${server}: ${value.toPrecision(4)} ${result.unit}${cpuText}`);
  }

  /** Every declared scenario in declaration order. */
  results(): ScenarioResult[] {
    return [...this.#results.values()];
  }
}

/** Thrown when the run's time limit has passed (or it was interrupted); no new work starts after it. */
export class DeadlineReached extends Error {
  constructor(what: string, interrupted = false) {
    super(`${interrupted ? 'interrupted' : 'time limit reached'} before ${what}; reporting the rounds done so far`);
  }
}

/** The run's time limit, and its interruption by a signal. */
export class Deadline {
  constructor(
    readonly at: number,
    private readonly interrupt?: AbortSignal,
  ) {}

  /** Throws {@link DeadlineReached} when the limit has passed or the run was interrupted. */
  check(what: string): void {
    if (this.interrupt?.aborted) throw new DeadlineReached(what, true);
    if (Date.now() > this.at) throw new DeadlineReached(what);
  }
}
