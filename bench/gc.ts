/**
 * The garbage collection benchmark (issue 12), Berth only (Distribution collects offline, with the registry
 * stopped or read-only, so there is nothing to compare with):
 * - `berth gc` over a store of 10,000 blobs and 1,000 manifests, a fifth of the images deleted: wall time and peak
 *   RSS of the process (VmHWM), then again with nothing left to delete, and an empty store for the baseline RSS;
 *   plus the in-memory size of the mark set per digest (a Set of digest strings, measured in this process);
 * - push and pull throughput of one `berth serve` on that store while its own schedule collects every second
 *   (`storage.gc.interval: 1s`), as a ratio to the same server without `storage.gc` (target ≥ 0.9), rounds
 *   alternating which goes first.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { keepAliveAgent, send } from './http-client.js';
import { ageBlobs, buildStore, inParallel, pullImage, pushImage, type PushedImage, type StoreShape } from './gc-store.js';
import { statusKiB } from './process-stats.js';
import { BERTH_CLI, launchServer } from './servers.js';
import type { BenchServer } from './types.js';

export const GC_TARGETS = { throughputRatio: 0.9 } as const;

export interface GcBenchContext {
  quick: boolean;
  rounds: number;
  workDir: string;
  log: (line: string) => void;
  loadavg: () => Promise<string>;
}

export interface GcRunFigures {
  /** Wall time of the process, Node's start included. */
  seconds: number;
  /** The run itself, as berth gc reports it. */
  gcSeconds: number;
  peakRssMiB: number;
  blobsDeleted: number;
  summary: string;
}

interface LoadFigures {
  pushes: number;
  pulls: number;
  seconds: number;
  gcRuns: number;
  /** `berth_gc_last_run_duration_seconds` at the end of the window (0: no run finished). */
  lastGcSeconds: number;
}

const MiB = 1024 * 1024;

/** Runs `berth gc --storage DIR`, polling the process's VmHWM (its peak RSS) until it exits. */
export async function timeGc(storage: string): Promise<GcRunFigures> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [BERTH_CLI, 'gc', '--storage', storage], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      peakKiB = Math.max(peakKiB, statusKiB(readFileSync(`/proc/${child.pid}/status`, 'utf8'), 'VmHWM') || 0);
    } catch {
      // exited
    }
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(poll);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`berth gc exited with ${code}: ${err.slice(-500)}`);
  const summary = out.trim().split('\n').at(-1) ?? '';
  const blobsDeleted = Number(/deleted (\d+) blobs/.exec(summary)?.[1] ?? NaN);
  const gcSeconds = Number(/ in ([\d.]+)s$/.exec(summary)?.[1] ?? NaN);
  return { seconds, gcSeconds, peakRssMiB: peakKiB / 1024, blobsDeleted, summary };
}

/** Bytes of heap per entry of a Set holding `n` digest strings, as the mark phase keeps them. */
export function markSetBytesPerDigest(n = 200_000): number {
  const before = process.memoryUsage().heapUsed;
  const set = new Set<string>();
  for (let i = 0; i < n; i++) set.add(`sha256:${randomBytes(32).toString('hex')}`);
  const after = process.memoryUsage().heapUsed;
  return set.size > 0 ? (after - before) / set.size : NaN;
}

async function startOn(storage: string, dir: string, gc: boolean): Promise<BenchServer> {
  await mkdir(dir, { recursive: true });
  const config = join(dir, gc ? 'with-gc.yaml' : 'without-gc.yaml');
  const storageSection = gc ? { root: storage, gc: { interval: '1s', gracePeriod: '1h' } } : { root: storage };
  await writeFile(config, stringify({ storage: storageSection, log: { level: 'warn' } }));
  const args = [BERTH_CLI, 'serve', '--addr', '127.0.0.1:0', '--config', config, '--workers', '1'];
  return launchServer('berth', process.execPath, args, dir, storage, { keepStorage: true });
}

/** `berth_gc_runs_total{result="ok"}` and `berth_gc_last_run_duration_seconds` from /metrics. */
async function gcMetrics(base: string): Promise<{ runs: number; lastSeconds: number }> {
  const res = await send(new URL('/metrics', base), { method: 'GET', agent: keepAliveAgent(1), timeoutMs: 30_000 });
  const text = res.body.toString();
  return {
    runs: Number(/^berth_gc_runs_total\{result="ok"\} (\d+)/m.exec(text)?.[1] ?? 0),
    lastSeconds: Number(/^berth_gc_last_run_duration_seconds ([\d.e+-]+)/m.exec(text)?.[1] ?? 0),
  };
}

/** 4 clients pushing new images (3 layers of 64 KiB) and 4 pulling existing ones, for `seconds`. */
async function load(server: BenchServer, images: PushedImage[], seconds: number, label: string): Promise<LoadFigures> {
  const agent = keepAliveAgent(8);
  const until = Date.now() + seconds * 1000;
  let pushes = 0;
  let pulls = 0;
  const startRuns = (await gcMetrics(server.url)).runs;
  const started = Date.now();
  await Promise.all([
    inParallel(4, 4, async (w) => {
      for (let n = 0; Date.now() < until; n++) {
        await pushImage(server.url, `load/${label}-${w}`, `n${n}`, 3, 64 * 1024, agent);
        pushes++;
      }
    }),
    inParallel(4, 4, async (w) => {
      for (let n = w; Date.now() < until; n += 4) {
        await pullImage(server.url, images[(n * 7919) % images.length]!, agent);
        pulls++;
      }
    }),
  ]);
  const elapsed = (Date.now() - started) / 1000;
  const end = await gcMetrics(server.url);
  agent.destroy();
  return { pushes, pulls, seconds: elapsed, gcRuns: end.runs - startRuns, lastGcSeconds: end.lastSeconds };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function runGcBench(ctx: GcBenchContext): Promise<{ markdown: string; json: unknown }> {
  const shape: StoreShape = ctx.quick
    ? { images: 200, blobsPerImage: 10, deleted: 40, layerBytes: 1024 }
    : { images: 1000, blobsPerImage: 10, deleted: 200, layerBytes: 1024 };
  const storage = join(ctx.workDir, 'store');
  const loadSeconds = ctx.quick ? 5 : 30;
  const loadavg: string[] = [await ctx.loadavg()];
  ctx.log(`gc: building a store of ${shape.images * shape.blobsPerImage} blobs and ${shape.images} manifests (load average ${loadavg[0]})`);
  const builder = await startOn(storage, join(ctx.workDir, 'build'), false);
  let kept: PushedImage[];
  try {
    kept = await buildStore(builder.url, shape, keepAliveAgent(8), ctx.log);
  } finally {
    await builder.stop();
  }
  const blobs = await ageBlobs(storage, 2 * 3_600_000);
  ctx.log(`gc: ${blobs} blobs on disk, ${shape.deleted} images deleted; berth gc`);
  const collect = await timeGc(storage);
  ctx.log(`gc: ${collect.summary}; peak RSS ${collect.peakRssMiB.toFixed(0)} MiB`);
  const again = await timeGc(storage);
  const emptyDir = join(ctx.workDir, 'empty');
  await mkdir(emptyDir, { recursive: true });
  const empty = await timeGc(emptyDir);
  const perDigest = markSetBytesPerDigest();
  loadavg.push(await ctx.loadavg());

  const samples: Record<'off' | 'on', LoadFigures[]> = { off: [], on: [] };
  for (let round = 1; round <= ctx.rounds; round++) {
    const order: Array<'off' | 'on'> = round % 2 ? ['off', 'on'] : ['on', 'off'];
    for (const mode of order) {
      const server = await startOn(storage, join(ctx.workDir, `load-${round}-${mode}`), mode === 'on');
      try {
        const f = await load(server, kept, loadSeconds, `${round}${mode}`);
        samples[mode].push(f);
        const gc = mode === 'on' ? `, ${f.gcRuns} GC runs finished (last ${f.lastGcSeconds.toFixed(1)} s)` : '';
        ctx.log(`gc: round ${round} ${mode === 'on' ? 'with GC' : 'without GC'}: ${f.pushes} pushes, ${f.pulls} pulls in ${f.seconds.toFixed(1)} s${gc}`);
      } finally {
        await server.stop();
      }
    }
    loadavg.push(await ctx.loadavg());
  }
  await rm(storage, { recursive: true, force: true });
  const rate = (m: 'off' | 'on', k: 'pushes' | 'pulls') => median(samples[m].map((f) => f[k] / f.seconds));
  const ratio = { push: rate('on', 'pushes') / rate('off', 'pushes'), pull: rate('on', 'pulls') / rate('off', 'pulls') };
  const json = { shape, blobs, collect, again, empty, markSetBytesPerDigest: perDigest, samples, ratio, loadavg };
  return { markdown: gcMarkdown(json, shape), json };
}

type GcJson = {
  blobs: number;
  collect: GcRunFigures;
  again: GcRunFigures;
  empty: GcRunFigures;
  markSetBytesPerDigest: number;
  samples: Record<'off' | 'on', LoadFigures[]>;
  ratio: { push: number; pull: number };
  loadavg: string[];
};

function gcMarkdown(r: GcJson, shape: StoreShape): string {
  const row = (name: string, f: GcRunFigures) =>
    `| ${name} | ${f.gcSeconds.toFixed(1)} s | ${f.seconds.toFixed(2)} s | ${f.peakRssMiB.toFixed(0)} MiB | ${f.blobsDeleted} |`;
  const perBlob = ((r.collect.peakRssMiB - r.empty.peakRssMiB) * MiB) / r.blobs;
  const rate = (m: 'off' | 'on', k: 'pushes' | 'pulls') => median(r.samples[m].map((f) => f[k] / f.seconds)).toFixed(1);
  const runs = r.samples.on.map((f) => `${f.gcRuns} (last took ${f.lastGcSeconds.toFixed(1)} s)`).join(', ');
  const verdict = (x: number) => `${x.toFixed(2)} ${x >= GC_TARGETS.throughputRatio ? '✓' : '✗'} (target ≥ ${GC_TARGETS.throughputRatio})`;
  return [
    `## Garbage collection — ${r.blobs} blobs, ${shape.images} manifests, ${shape.deleted} images deleted`,
    '',
    `Load average (1/5/15 min) at start, after berth gc, after each load round: ${r.loadavg.join(' | ')}.`,
    '',
    '| berth gc | the run | the process (Node start included) | peak RSS | blobs deleted |',
    '| --- | ---: | ---: | ---: | ---: |',
    row(`${r.blobs} blobs, ${shape.deleted} images deleted`, r.collect),
    row('again, nothing to delete', r.again),
    row('empty store (baseline)', r.empty),
    '',
    `Peak RSS above the empty-store baseline: ${perBlob.toFixed(0)} bytes per blob in the store. The mark set is held in ` +
      `memory: a Set of digest strings, ${r.markSetBytesPerDigest.toFixed(0)} bytes per reachable digest measured here, ` +
      `so about ${((r.markSetBytesPerDigest * 1e7) / MiB).toFixed(0)} MiB for 10 million reachable blobs.`,
    '',
    '| push/pull under GC (4 pushers, 4 pullers) | without GC | with GC every 1 s | ratio |',
    '| --- | ---: | ---: | ---: |',
    `| pushes/s (images of 3 × 64 KiB) | ${rate('off', 'pushes')} | ${rate('on', 'pushes')} | ${verdict(r.ratio.push)} |`,
    `| pulls/s (images of 9 × 1 KiB) | ${rate('off', 'pulls')} | ${rate('on', 'pulls')} | ${verdict(r.ratio.pull)} |`,
    '',
    `GC runs finished during each ${r.samples.on[0]?.seconds.toFixed(0) ?? '?'} s load window with GC: ${runs}; the schedule starts the next ` +
      'run 1 s after one finishes, so GC was running for nearly the whole window.',
  ].join('\n');
}
