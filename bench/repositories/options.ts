/**
 * The command line of `npm run bench:repositories` (pure): the scale by default, a small `--quick` run.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/shared/duration.js';

export interface RepositoryBenchOptions {
  /** Application namespaces, each selected by every Repository (one pull Secret each). */
  namespaces: number;
  repositories: number;
  /** Registries in the fleet phase (the benchmark's own Registry is one of them); 0 skips the phase. */
  registries: number;
  resyncMs: number;
  /** Take a heap snapshot of the operator at each steady state, into this folder. */
  heapSnapshots?: string;
}

/** Issue 15's scale: 1,000 namespaces × 100 Repositories, then 100 Registries. */
export const FULL = { namespaces: 1000, repositories: 100, registries: 100 } as const;
export const QUICK = { namespaces: 100, repositories: 20, registries: 10 } as const;

function count(value: string | undefined, flag: string, dflt: number, min: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: must be a whole number ≥ ${min}`);
  return n;
}

export function parseRepositoryBenchArgs(argv: string[]): RepositoryBenchOptions {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      namespaces: { type: 'string' },
      repositories: { type: 'string' },
      registries: { type: 'string' },
      resync: { type: 'string' },
      'heap-snapshots': { type: 'string' },
    },
    strict: true,
  });
  const d = v.quick ? QUICK : FULL;
  const resyncMs = v.resync === undefined ? 15_000 : parseDuration(v.resync);
  if (resyncMs === undefined || resyncMs <= 0) throw new Error('--resync: a duration such as 15s');
  return {
    namespaces: count(v.namespaces, 'namespaces', d.namespaces, 1),
    repositories: count(v.repositories, 'repositories', d.repositories, 1),
    registries: count(v.registries, 'registries', d.registries, 0),
    resyncMs,
    heapSnapshots: v['heap-snapshots'],
  };
}
