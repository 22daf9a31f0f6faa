/**
 * The benchmark's command line: `node dist/bench/main.js [--quick] [--out FILE] [--rounds N] [--only a,b]`.
 * Parsing is pure; every size and count has a full default and a `--quick` default.
 */
import { parseArgs } from 'node:util';

export const PHASES = ['limits', 'blob', 'skopeo', 'ctr', 'podman', 'small', 'manifest', 'auth', 'workers', 's3', 'gc'] as const;
export type Phase = (typeof PHASES)[number];

/** The `podman push --compression-format` values the bench offers. */
export const PODMAN_COMPRESSIONS = ['zstd', 'gzip'] as const;
export type PodmanCompression = (typeof PODMAN_COMPRESSIONS)[number];

export interface BenchOptions {
  quick: boolean;
  /** JSON results file; undefined: a new temporary folder. */
  out: string | undefined;
  rounds: number;
  /** Size of the big layer pushed and pulled. */
  layerMiB: number;
  /** Chunk size of the chunked PATCH upload. */
  chunkMiB: number;
  smallLayers: number;
  smallLayerKiB: number;
  smallClients: number;
  /** Duration of each wrk run. */
  wrkSeconds: number;
  wrkConnections: number[];
  /** Bytes used to measure each machine limit. */
  limitMiB: number;
  /** Hard cap on the whole run; no new measurement starts after it. */
  deadlineMinutes: number;
  phases: Set<Phase>;
  /** Layer compression `podman push` applies (it always compresses for a registry; gzip is its default). */
  podmanCompression: PodmanCompression;
  /** Start Berth under `node --cpu-prof`, writing profiles into this folder. */
  cpuProfDir: string | undefined;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]   (or: node dist/bench/main.js [options])

Runs Berth and Distribution (docker-registry) side by side on loopback and prints a Markdown table.
  --quick               small run while developing (64 MiB layer, 1 round, 2 s wrk runs)
  --out FILE            write the results as JSON to FILE (default: a new temporary folder; never the repo)
  --rounds N            rounds per scenario, median reported (default 3; quick 1)
  --layer-mib N         size of the big layer (default 1024; quick 64)
  --chunk-mib N         PATCH chunk size (default 16)
  --wrk-seconds N       duration of each wrk run (default 5; quick 2)
  --only LIST           comma-separated phases: ${PHASES.join(',')} (default all; s3: both registries on
                        one versitygw bucket, big layer push/pull with redirects off and on, small layers, RSS;
                        gc: Berth only, berth gc over a large store and push/pull while it collects)
  --podman-compression zstd|gzip
                        layer compression of podman push (default zstd: with gzip, podman's own
                        compression rather than the registry sets the pace)
  --deadline-min N      no new measurement starts after N minutes (default 25)
  --cpu-prof DIR        run Berth under node --cpu-prof, profiles written to DIR`;

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function parsePhases(value: string | undefined): Set<Phase> {
  if (value === undefined) return new Set(PHASES);
  const phases = new Set<Phase>();
  for (const name of value.split(',').map((s) => s.trim())) {
    if (!(PHASES as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown phase ${JSON.stringify(name)}; known: ${PHASES.join(', ')}`);
    }
    phases.add(name as Phase);
  }
  return phases;
}

function parseCompression(value: string | undefined): PodmanCompression {
  if (value === undefined) return 'zstd';
  if (!(PODMAN_COMPRESSIONS as readonly string[]).includes(value)) {
    throw new Error(`--podman-compression must be one of ${PODMAN_COMPRESSIONS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as PodmanCompression;
}

/** Parses the command line; throws an Error naming the bad flag. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      rounds: { type: 'string' },
      'layer-mib': { type: 'string' },
      'chunk-mib': { type: 'string' },
      'wrk-seconds': { type: 'string' },
      only: { type: 'string' },
      'deadline-min': { type: 'string' },
      'cpu-prof': { type: 'string' },
      'podman-compression': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  return {
    quick,
    out: values.out,
    rounds: positiveInt(values.rounds, '--rounds', quick ? 1 : 3),
    layerMiB: positiveInt(values['layer-mib'], '--layer-mib', quick ? 64 : 1024),
    chunkMiB: positiveInt(values['chunk-mib'], '--chunk-mib', 16),
    smallLayers: 100,
    smallLayerKiB: 1024,
    smallClients: 8,
    wrkSeconds: positiveInt(values['wrk-seconds'], '--wrk-seconds', quick ? 2 : 5),
    wrkConnections: [1, 16, 64],
    limitMiB: quick ? 256 : 1024,
    deadlineMinutes: positiveInt(values['deadline-min'], '--deadline-min', 25),
    phases: parsePhases(values.only),
    podmanCompression: parseCompression(values['podman-compression']),
    cpuProfDir: values['cpu-prof'],
    help: values.help === true,
  };
}
