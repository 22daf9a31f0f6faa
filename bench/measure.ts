/**
 * One timed operation against one server: flush the filesystem first (so neither server pays for the other's
 * write-back), then time the operation while sampling the server's RSS and reading its CPU time before and after.
 * A failed operation is recorded as an error and yields no sample, so one failure does not void the whole run.
 */
import type { Agent } from 'node:http';
import type { BenchOptions } from './args.js';
import { cpuSeconds, sampleRss } from './process-stats.js';
import type { Deadline, Recorder } from './recorder.js';
import { syncFilesystem } from './run.js';
import { elapsedMs } from './stats.js';
import type { BenchServer, ServerName } from './types.js';

export interface Measured {
  ms: number;
  /** Server CPU seconds (user + system) spent during the operation. */
  cpuSeconds: number;
  /** Highest sampled VmRSS of the server during the operation, KiB. */
  peakRssKiB: number;
}

/** Everything a round's scenarios need. */
export interface RoundEnv {
  round: number;
  servers: Record<ServerName, BenchServer>;
  opts: BenchOptions;
  /** This round's temporary folder, in the same filesystem as the servers' storage. */
  dir: string;
  deadline: Deadline;
  rec: Recorder;
  agent: Agent;
  /** Failures so far, each naming the scenario, server and round. */
  errors: string[];
}

/** Times `fn` against `server`; undefined (and an entry in `env.errors`) when it throws. */
export async function measureOn(
  env: RoundEnv,
  label: string,
  server: BenchServer,
  fn: () => Promise<void>,
): Promise<Measured | undefined> {
  env.deadline.check(`${label} on ${server.name}`);
  await syncFilesystem(env.dir);
  const cpuBefore = cpuSeconds(server.pid);
  const rss = sampleRss(server.pid);
  const start = performance.now();
  try {
    await fn();
  } catch (err) {
    rss.stop();
    const message = `round ${env.round}, ${label}, ${server.name}: ${(err as Error).message}`;
    env.errors.push(message);
    console.error(`  ! ${message}`);
    return undefined;
  }
  const ms = elapsedMs(start);
  return { ms, cpuSeconds: cpuSeconds(server.pid) - cpuBefore, peakRssKiB: rss.stop() };
}
