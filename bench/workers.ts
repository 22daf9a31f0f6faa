/**
 * The multi-core scenario (issue 15): `berth serve --workers 1` against `--workers 2`, both Berth, fresh servers
 * each round, the order alternating between rounds:
 * - push: two clients push one half-size layer each at once (monolithic PUT), MiB/s of both together;
 * - pull: two curl clients pull them back at once;
 * - manifest GET with wrk at c=64.
 * One client's push or pull stays on one connection and so on one worker: the gain shows with several clients,
 * which is how a registry is loaded in production. CPU is the whole process tree's (primary and workers); the
 * RSS is the largest single process's (the per-worker figure).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchOptions } from './args.js';
import { pullWithCurl, pushBuffer, pushMonolithic, putManifest, type LayerFile } from './blob-ops.js';
import { keepAliveAgent } from './http-client.js';
import { randomBlobs, writeRandomLayer } from './layer-file.js';
import { maxRssInTreeKiB, treeCpuSeconds } from './process-stats.js';
import { syncFilesystem } from './run.js';
import { startBerthServer } from './servers.js';
import { imageFor } from './skopeo.js';
import { elapsedMs, median, MiB, mibPerSecond } from './stats.js';
import type { BenchServer } from './types.js';
import { runWrk, writeWrkScript } from './wrk.js';

export const WORKER_COUNTS = [1, 2] as const;
export const MANIFEST_CONNECTIONS = 64;
const CLIENTS = 2;

type Metric = 'push' | 'pull' | 'manifest';
type Sample = { value: number; cpuSeconds: number; peakRssMiB: number };
type Samples = Record<Metric, Record<number, Sample[]>>;

export interface WorkersBenchContext {
  opts: BenchOptions;
  workDir: string;
  deadlineAt: number;
  log: (line: string) => void;
  running: Set<BenchServer>;
}

const UNITS: Record<Metric, string> = { push: 'MiB/s', pull: 'MiB/s', manifest: 'req/s' };

async function timed(server: BenchServer, dir: string, fn: () => Promise<number>): Promise<Sample> {
  await syncFilesystem(dir);
  const cpu = treeCpuSeconds(server.pid);
  let peak = maxRssInTreeKiB(server.pid);
  const timer = setInterval(() => (peak = Math.max(peak, maxRssInTreeKiB(server.pid))), 100);
  try {
    const value = await fn();
    return { value, cpuSeconds: treeCpuSeconds(server.pid) - cpu, peakRssMiB: Math.max(peak, maxRssInTreeKiB(server.pid)) / 1024 };
  } finally {
    clearInterval(timer);
  }
}

async function measureServer(server: BenchServer, layers: LayerFile[], dir: string, opts: BenchOptions, samples: Samples, workers: number): Promise<void> {
  const agents = layers.map(() => keepAliveAgent(1));
  try {
    const bytes = layers.reduce((n, l) => n + l.size, 0);
    samples.push[workers]!.push(
      await timed(server, dir, async () => {
        const start = performance.now();
        await Promise.all(layers.map((layer, i) => pushMonolithic(server.url, `bench/workers-${i}`, layer, agents[i]!)));
        return mibPerSecond(bytes, elapsedMs(start));
      }),
    );
    samples.pull[workers]!.push(
      await timed(server, dir, async () => {
        const start = performance.now();
        await Promise.all(layers.map((layer, i) => pullWithCurl(server.url, `bench/workers-${i}`, layer)));
        return mibPerSecond(bytes, elapsedMs(start));
      }),
    );
    const [layer] = randomBlobs(1, 1024);
    const digest = await pushBuffer(server.url, 'bench/manifest', layer!, agents[0]!);
    const { config, manifest } = imageFor({ path: '', digest, size: layer!.length });
    await pushBuffer(server.url, 'bench/manifest', config, agents[0]!);
    await putManifest(server.url, 'bench/manifest', 'latest', manifest, 'application/vnd.oci.image.manifest.v1+json', agents[0]!);
    const script = await writeWrkScript(dir);
    samples.manifest[workers]!.push(
      await timed(server, dir, async () => {
        const url = `${server.url}/v2/bench/manifest/manifests/latest`;
        return (await runWrk({ url, connections: MANIFEST_CONNECTIONS, seconds: opts.wrkSeconds }, script)).requestsPerSecond;
      }),
    );
  } finally {
    agents.forEach((a) => a.destroy());
  }
}

function cpuPer(metric: Metric, s: Sample, bytes: number, seconds: number): string {
  if (metric === 'manifest') return `${((s.cpuSeconds * 1e6) / (s.value * seconds)).toFixed(0)} µs/req`;
  return `${(s.cpuSeconds / (bytes / (1024 * MiB))).toFixed(2)} s/GiB`;
}

function markdown(samples: Samples, rounds: number, bytes: number, opts: BenchOptions, loads: string[]): string {
  const titles: Record<Metric, string> = {
    push: `push ${CLIENTS} × ${bytes / CLIENTS / MiB} MiB at once (monolithic PUT)`,
    pull: `pull ${CLIENTS} × ${bytes / CLIENTS / MiB} MiB at once (curl)`,
    manifest: `manifest GET (wrk), c=${MANIFEST_CONNECTIONS}`,
  };
  const rows = [
    `## Workers: \`berth serve --workers 1\` vs \`--workers 2\` — ${rounds} round(s), median`,
    '',
    `Load average per round: ${loads.join(' | ')}.`,
    '',
    '| scenario | 1 worker | 2 workers | 2/1 | server CPU, 1 → 2 | peak RSS per process, 1 → 2 |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const metric of ['push', 'pull', 'manifest'] as const) {
    const pick = (w: number) => {
      const list = [...samples[metric][w]!].sort((a, b) => a.value - b.value);
      return list[Math.floor((list.length - 1) / 2)];
    };
    const [one, two] = [pick(1), pick(2)];
    if (!one || !two) continue;
    const unit = UNITS[metric];
    rows.push(
      `| ${titles[metric]} | ${one.value.toFixed(0)} ${unit} | ${two.value.toFixed(0)} ${unit} | ${(two.value / one.value).toFixed(2)}× | ${cpuPer(metric, one, bytes, opts.wrkSeconds)} → ${cpuPer(metric, two, bytes, opts.wrkSeconds)} | ${median(samples[metric][1]!.map((s) => s.peakRssMiB)).toFixed(0)} → ${median(samples[metric][2]!.map((s) => s.peakRssMiB)).toFixed(0)} MiB |`,
    );
  }
  return rows.join('\n');
}

/** Runs the workers comparison in `ctx.workDir`; see the module comment. */
export async function runWorkersBench(ctx: WorkersBenchContext): Promise<{ markdown: string; json: unknown }> {
  const { opts, log } = ctx;
  const half = Math.max(1, Math.floor(opts.layerMiB / CLIENTS)) * MiB;
  const layerDir = join(ctx.workDir, 'layers');
  await mkdir(layerDir, { recursive: true });
  const layers = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => writeRandomLayer(join(layerDir, `w${i}.bin`), half)));
  const samples: Samples = { push: { 1: [], 2: [] }, pull: { 1: [], 2: [] }, manifest: { 1: [], 2: [] } };
  const loads: string[] = [];
  let rounds = 0;
  try {
    while (rounds < opts.rounds && (rounds === 0 || Date.now() < ctx.deadlineAt)) {
      const order = rounds % 2 === 0 ? [...WORKER_COUNTS] : [...WORKER_COUNTS].reverse();
      loads.push((await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '));
      for (const workers of order) {
        const dir = join(ctx.workDir, `round-${rounds}-w${workers}`);
        const server = await startBerthServer(dir, { workers });
        ctx.running.add(server);
        try {
          log(`workers round ${rounds + 1}: --workers ${workers} (pid ${server.pid}), load ${loads.at(-1)}`);
          await measureServer(server, layers, dir, opts, samples, workers);
        } finally {
          await server.stop();
          ctx.running.delete(server);
          await rm(dir, { recursive: true, force: true });
        }
      }
      rounds++;
    }
  } finally {
    await rm(layerDir, { recursive: true, force: true });
  }
  const bytes = half * CLIENTS;
  return { markdown: markdown(samples, rounds, bytes, opts, loads), json: { rounds, loads, samples } };
}
