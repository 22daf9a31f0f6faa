/**
 * The benchmark run: machine limits, then rounds (fresh Berth and Distribution per round, every scenario run on
 * Berth then Distribution), then the optional auth benchmark. Every loop is bounded by a count and by the
 * run's deadline; servers are stopped and temporary folders removed even when something fails.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './args.js';
import { loadAuthBench } from './auth-hook.js';
import {
  blobRound,
  declareBlobScenarios,
  declareSmallScenario,
  sizeLabel,
  skopeoRound,
  smallRound,
  type BigLayers,
} from './blob-scenarios.js';
import { ctrRound, declareCtrScenarios } from './ctr-scenario.js';
import { declarePodmanScenarios, podmanRound } from './podman-scenario.js';
import { runGcBench } from './gc.js';
import { keepAliveAgent } from './http-client.js';
import { writeRandomLayer } from './layer-file.js';
import { lowestLimit, measureLimits, type MachineLimits } from './limits.js';
import { declareManifestScenarios, manifestRound } from './manifest-scenario.js';
import type { RoundEnv } from './measure.js';
import { Deadline, DeadlineReached, Recorder } from './recorder.js';
import { summarize, type ReportRow } from './report.js';
import { declareS3Scenarios, s3Round } from './s3-scenarios.js';
import { startVersitygwServer } from './s3-servers.js';
import { startPair } from './servers.js';
import { issue15Checks, tokensPerSecondOf, type TargetCheck } from './targets.js';
import { MiB } from './stats.js';
import type { BenchServer, ScenarioResult, ServerName } from './types.js';
import { runWorkersBench } from './workers.js';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  options: Omit<BenchOptions, 'phases'> & { phases: string[] };
  machine: { cpus: number; cpuModel: string; kernel: string; node: string; memoryMiB: number };
  /** `/proc/loadavg` (1, 5, 15 minutes) at the start and end of the run, and at each round's start. */
  loadavg: { start: string; end: string; rounds: string[] };
  limits: MachineLimits | undefined;
  scenarios: ScenarioResult[];
  rows: ReportRow[];
  roundsDone: number;
  errors: string[];
  /** Why the run stopped early, if it did. */
  stoppedEarly: string | undefined;
  auth: { markdown: string; json: unknown } | undefined;
  workers: { markdown: string; json: unknown } | undefined;
  /** The garbage collection benchmark (bench/gc.ts), Berth only. */
  gc: { markdown: string; json: unknown } | undefined;
  /** Issue 15's checklist from the figures above (bench/targets.ts). */
  targets: { checks: TargetCheck[]; missing: string[] };
}

/** The 1, 5 and 15 minute load averages. */
export async function loadavg(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}

/** Servers currently running, so a signal handler can stop them. */
export type ServerSet = Set<BenchServer>;

/** The phases that push and pull the big layer files. */
const BIG_LAYER_PHASES = ['blob', 'skopeo', 'ctr', 'podman'] as const;

async function makeLayers(dir: string, opts: BenchOptions, log: (line: string) => void): Promise<BigLayers> {
  await mkdir(dir, { recursive: true });
  const bytes = opts.layerMiB * MiB;
  log(`writing three ${opts.layerMiB} MiB random layer files in ${dir}`);
  return {
    monolithic: await writeRandomLayer(join(dir, 'monolithic.bin'), bytes),
    chunked: await writeRandomLayer(join(dir, 'chunked.bin'), bytes),
    skopeo: await writeRandomLayer(join(dir, 'skopeo.bin'), bytes),
  };
}

async function runRound(env: RoundEnv, layers: BigLayers | undefined, log: (line: string) => void): Promise<void> {
  const { phases } = env.opts;
  if (layers && phases.has('blob')) {
    log(`round ${env.round}: blob push/pull, plain HTTP`);
    await blobRound(env, layers);
  }
  if (layers && phases.has('skopeo')) {
    log(`round ${env.round}: skopeo`);
    await skopeoRound(env, layers.skopeo);
  }
  if (layers && phases.has('ctr')) {
    log(`round ${env.round}: containerd ctr`);
    await ctrRound(env, layers.skopeo);
  }
  if (layers && phases.has('podman')) {
    log(`round ${env.round}: podman (${env.opts.podmanCompression})`);
    await podmanRound(env, layers.skopeo);
  }
  if (phases.has('small')) {
    log(`round ${env.round}: small layers`);
    await smallRound(env);
  }
  if (phases.has('manifest')) {
    log(`round ${env.round}: manifest GET/HEAD with wrk`);
    await manifestRound(env);
  }
}

function declareAll(rec: Recorder, opts: BenchOptions, limits: MachineLimits | undefined): void {
  if (BIG_LAYER_PHASES.some((p) => opts.phases.has(p))) {
    const phases = { http: opts.phases.has('blob'), skopeo: opts.phases.has('skopeo') };
    declareBlobScenarios(rec, phases, opts.layerMiB * MiB, opts.chunkMiB, limits ? lowestLimit(limits) : undefined);
  }
  if (opts.phases.has('ctr')) declareCtrScenarios(rec, sizeLabel(opts.layerMiB * MiB));
  if (opts.phases.has('podman')) declarePodmanScenarios(rec, sizeLabel(opts.layerMiB * MiB), opts.podmanCompression);
  if (opts.phases.has('small')) declareSmallScenario(rec, opts.smallLayers, opts.smallLayerKiB, opts.smallClients);
  if (opts.phases.has('manifest')) declareManifestScenarios(rec, opts.wrkConnections);
  if (opts.phases.has('s3')) {
    const small = { count: opts.smallLayers, kib: opts.smallLayerKiB, clients: opts.smallClients };
    declareS3Scenarios(rec, opts.layerMiB * MiB, small);
  }
}

/** The S3 phase: one versitygw for all its rounds, fresh registries and key prefixes per round (s3-scenarios.ts). */
async function runS3Phase(
  base: Omit<RoundEnv, 'round' | 'servers' | 'dir'>,
  workDir: string,
  running: ServerSet,
  report: Pick<BenchReport, 'loadavg'>,
  log: (line: string) => void,
): Promise<void> {
  const dir = join(workDir, 's3');
  await mkdir(dir, { recursive: true });
  log('s3: starting versitygw');
  const s3 = await startVersitygwServer(dir);
  try {
    log(`s3: writing a ${base.opts.layerMiB} MiB random layer`);
    const layer = await writeRandomLayer(join(dir, 'layer.bin'), base.opts.layerMiB * MiB);
    for (let round = 1; round <= base.opts.rounds; round++) {
      base.deadline.check(`s3 round ${round}`);
      report.loadavg.rounds.push(`s3 ${await loadavg()}`);
      log(`s3 round ${round}: load average ${report.loadavg.rounds.at(-1)}; versitygw ${s3.endpoint} (pid ${s3.pid})`);
      await s3Round({ ...base, round, dir: join(dir, `round-${round}`) }, s3, layer, running);
    }
  } finally {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The phases measured in the Berth-vs-Distribution rounds (the others run once, after them). */
const ROUND_PHASES = ['blob', 'skopeo', 'ctr', 'podman', 'small', 'manifest'] as const;

/** Runs the rounds; returns how many completed, and why it stopped early if it did. */
async function runRounds(
  base: Omit<RoundEnv, 'round' | 'servers' | 'dir'>,
  workDir: string,
  layers: BigLayers | undefined,
  running: ServerSet,
  report: Pick<BenchReport, 'loadavg'>,
  log: (line: string) => void,
): Promise<{ done: number; stoppedEarly: string | undefined }> {
  if (!ROUND_PHASES.some((p) => base.opts.phases.has(p))) return { done: 0, stoppedEarly: undefined };
  for (let round = 1; round <= base.opts.rounds; round++) {
    const dir = join(workDir, `round-${round}`);
    let servers: Record<ServerName, BenchServer> | undefined;
    try {
      base.deadline.check(`round ${round}`);
      report.loadavg.rounds.push(await loadavg());
      log(`round ${round}: load average ${report.loadavg.rounds.at(-1)}`);
      servers = await startPair(dir, base.opts.cpuProfDir ? { cpuProfDir: base.opts.cpuProfDir } : {});
      Object.values(servers).forEach((s) => running.add(s));
      const { berth, distribution } = servers;
      log(`round ${round}: berth ${berth.url} (pid ${berth.pid}), distribution ${distribution.url} (pid ${distribution.pid})`);
      await runRound({ ...base, round, servers, dir }, layers, log);
    } catch (err) {
      if (err instanceof DeadlineReached) return { done: round - 1, stoppedEarly: err.message };
      throw err;
    } finally {
      for (const server of servers ? Object.values(servers) : []) {
        await server.stop();
        running.delete(server);
      }
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { done: base.opts.rounds, stoppedEarly: undefined };
}

/** The whole benchmark in `workDir` (which the caller removes). */
export async function runBench(
  opts: BenchOptions,
  workDir: string,
  running: ServerSet,
  log: (line: string) => void,
  interrupt?: AbortSignal,
): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const report = { loadavg: { start: await loadavg(), end: '', rounds: [] as string[] } };
  log(`load average at start: ${report.loadavg.start}`);
  const deadline = new Deadline(Date.now() + opts.deadlineMinutes * 60_000, interrupt);
  let limits: MachineLimits | undefined;
  if (opts.phases.has('limits')) {
    log(`measuring machine limits (${opts.limitMiB} MiB each)`);
    limits = await measureLimits(workDir, opts.limitMiB);
    const { sha256MiBps, diskFsyncMiBps, loopbackMiBps } = limits;
    const mibps = (n: number) => `${n.toFixed(0)} MiB/s`;
    log(`  sha256 ${mibps(sha256MiBps)}, write+fsync ${mibps(diskFsyncMiBps)}, loopback ${mibps(loopbackMiBps)}`);
  }
  const rec = new Recorder(log);
  declareAll(rec, opts, limits);
  const needLayers = BIG_LAYER_PHASES.some((p) => opts.phases.has(p));
  const layers = needLayers ? await makeLayers(join(workDir, 'layers'), opts, log) : undefined;
  const agent = keepAliveAgent(4);
  const errors: string[] = [];
  let rounds: { done: number; stoppedEarly: string | undefined };
  try {
    const onDisk = ROUND_PHASES.some((p) => opts.phases.has(p));
    rounds = onDisk
      ? await runRounds({ opts, deadline, rec, agent, errors }, workDir, layers, running, report, log)
      : { done: 0, stoppedEarly: undefined };
    if (opts.phases.has('s3') && !rounds.stoppedEarly) {
      await runS3Phase({ opts, deadline, rec, agent, errors }, workDir, running, report, log).catch((err: unknown) => {
        if (err instanceof DeadlineReached) rounds.stoppedEarly = err.message;
        else throw err;
      });
    }
  } finally {
    agent.destroy();
    if (layers) await rm(join(workDir, 'layers'), { recursive: true, force: true });
  }
  const auth = await runAuthPhase(opts, workDir, deadline, log).catch((err: unknown) => {
    const message = `auth benchmark (bench/auth.ts): ${(err as Error).message}`;
    errors.push(message);
    log(`! ${message}`);
    return undefined;
  });
  const workers = opts.phases.has('workers')
    ? await runWorkersPhase(opts, workDir, deadline, running, log).catch((err: unknown) => {
        const message = `workers benchmark (bench/workers.ts): ${(err as Error).message}`;
        errors.push(message);
        log(`! ${message}`);
        return undefined;
      })
    : undefined;
  const gc = await runGcPhase(opts, workDir, deadline, log).catch((err: unknown) => {
    const message = `gc benchmark (bench/gc.ts): ${(err as Error).message}`;
    errors.push(message);
    log(`! ${message}`);
    return undefined;
  });
  report.loadavg.end = await loadavg();
  log(`load average at end: ${report.loadavg.end}`);
  const scenarios = rec.results();
  const rows = scenarios.map(summarize);
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...opts, phases: [...opts.phases] },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      kernel: release(),
      node: process.version,
      memoryMiB: Math.round(totalmem() / MiB),
    },
    loadavg: report.loadavg,
    limits,
    scenarios,
    rows,
    roundsDone: rounds.done,
    errors,
    stoppedEarly: rounds.stoppedEarly,
    auth,
    workers,
    gc,
    targets: issue15Checks({ rows, limits, tokensPerSecond: tokensPerSecondOf(auth?.json) }),
  };
}

async function runWorkersPhase(opts: BenchOptions, workDir: string, deadline: Deadline, running: ServerSet, log: (line: string) => void) {
  deadline.check('workers benchmark');
  log('workers benchmark (bench/workers.ts): --workers 1 vs 2');
  const dir = join(workDir, 'workers');
  await mkdir(dir, { recursive: true });
  try {
    return await runWorkersBench({ opts, workDir: dir, deadlineAt: deadline.at, log, running });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Issue 12's garbage collection benchmark. */
async function runGcPhase(opts: BenchOptions, workDir: string, deadline: Deadline, log: (line: string) => void): Promise<BenchReport['gc']> {
  if (!opts.phases.has('gc')) return undefined;
  deadline.check('the gc benchmark');
  const dir = join(workDir, 'gc');
  await mkdir(dir, { recursive: true });
  try {
    return await runGcBench({ quick: opts.quick, rounds: Math.max(2, opts.rounds), workDir: dir, log, loadavg });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Issue 3's auth benchmark, when `bench/auth.ts` exists (see auth-hook.ts). */
async function runAuthPhase(
  opts: BenchOptions,
  workDir: string,
  deadline: Deadline,
  log: (line: string) => void,
): Promise<BenchReport['auth']> {
  if (!opts.phases.has('auth')) return undefined;
  const runAuthBench = await loadAuthBench();
  if (!runAuthBench) {
    log('auth benchmark: bench/auth.ts not built yet (no runAuthBench), skipped');
    return undefined;
  }
  log('auth benchmark (bench/auth.ts)');
  const dir = join(workDir, 'auth');
  await mkdir(dir, { recursive: true });
  try {
    const { quick, rounds, wrkSeconds } = opts;
    return await runAuthBench({ quick, workDir: dir, rounds, wrkSeconds, deadlineAt: deadline.at });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
