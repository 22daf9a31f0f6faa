/**
 * Starts the two registries the benchmark compares, each on a free loopback port over its own fresh storage
 * folder, with stdout and stderr going to a log file (so the benchmark never spends CPU draining a pipe):
 * - Berth: the built CLI, `node dist/src/cli/main.js serve --addr 127.0.0.1:0 --storage DIR --workers 1`, default
 *   config (one process unless the workers phase asks for more);
 * - Distribution: Debian's `docker-registry serve CONFIG`, with Debian's shipped config (in-memory blob
 *   descriptor cache, delete enabled, storage health check) minus its htpasswd auth.
 * These launchers live here rather than in test/helpers because `npm run build` compiles `bench/` but not `test/`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { BenchServer, ServerName } from './types.js';

/** The built Berth CLI, relative to this file in dist/bench/. */
export const BERTH_CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const START_TIMEOUT_MS = 20_000;

export interface BerthLaunch {
  /** Optional YAML config (`--config`), e.g. an auth-enabled one. */
  config?: string;
  /** Run under `node --cpu-prof`, writing the profile into this folder at exit. */
  cpuProfDir?: string;
  /** `--workers N` (default 1: one process, so its pid's CPU and RSS are the whole server's). */
  workers?: number;
}

/** Debian's /etc/docker/registry/config.yml, on our storage and a free loopback port, without auth. */
export function distributionConfig(storage: string): Record<string, unknown> {
  return {
    version: 0.1,
    log: { level: 'info', formatter: 'text', fields: { service: 'registry' } },
    storage: {
      cache: { blobdescriptor: 'inmemory' },
      filesystem: { rootdirectory: storage },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: '127.0.0.1:0',
      secret: randomBytes(16).toString('hex'),
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    health: { storagedriver: { enabled: true, interval: '10s', threshold: 3 } },
  };
}

/** Finds the listening address in a log: Berth's JSON line or Distribution's logrus text line. */
export function listeningAddress(name: ServerName, log: string): string | undefined {
  if (name === 'distribution') return /msg="listening on ([^"]+)"/.exec(log)?.[1];
  for (const line of log.split('\n')) {
    if (!line.includes('"listening"')) continue;
    try {
      const entry = JSON.parse(line) as { message?: unknown; address?: unknown };
      if (entry.message === 'listening' && typeof entry.address === 'string') return entry.address;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

/** Starts Berth over a new storage folder under `dir`. */
export async function startBerthServer(dir: string, launch: BerthLaunch = {}): Promise<BenchServer> {
  const storage = join(dir, 'berth-storage');
  await mkdir(storage, { recursive: true });
  const nodeFlags = launch.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', launch.cpuProfDir] : [];
  const args = [...nodeFlags, BERTH_CLI, 'serve', '--addr', '127.0.0.1:0', '--storage', storage, '--workers', String(launch.workers ?? 1)];
  if (launch.config) args.push('--config', launch.config);
  return launchServer('berth', process.execPath, args, dir, storage);
}

/** Starts Debian's docker-registry over a new storage folder under `dir`. */
export async function startDistributionServer(dir: string): Promise<BenchServer> {
  const storage = join(dir, 'distribution-storage');
  await mkdir(storage, { recursive: true });
  const config = join(dir, 'distribution.yml');
  await writeFile(config, stringify(distributionConfig(storage)));
  return launchServer('distribution', 'docker-registry', ['serve', config], dir, storage);
}

/** Starts both servers; stops the first if the second fails. */
export async function startPair(dir: string, launch: BerthLaunch = {}): Promise<Record<ServerName, BenchServer>> {
  const berth = await startBerthServer(join(dir, 'berth'), launch);
  try {
    return { berth, distribution: await startDistributionServer(join(dir, 'distribution')) };
  } catch (err) {
    await berth.stop();
    throw err;
  }
}

/** Starts a server process and waits for its address; `stop()` also removes `storage` unless `keepStorage`. */
export async function launchServer(
  name: ServerName,
  command: string,
  args: string[],
  dir: string,
  storage: string,
  { env = process.env, keepStorage = false }: { env?: NodeJS.ProcessEnv; keepStorage?: boolean } = {},
): Promise<BenchServer> {
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', fd, fd], env });
  } finally {
    closeSync(fd);
  }
  const address = await waitForAddress(name, child, logFile).catch(async (err: unknown) => {
    await stopChild(child);
    throw err;
  });
  return {
    name,
    url: `http://${address}`,
    host: address,
    pid: child.pid!,
    storage,
    logFile,
    stop: async () => {
      await stopChild(child);
      if (!keepStorage) await rm(storage, { recursive: true, force: true });
    },
  };
}

/** Polls the log file until the listening line appears; fails when the process exits or the time is up. */
async function waitForAddress(name: ServerName, child: ChildProcess, logFile: string): Promise<string> {
  let failure: Error | undefined;
  child.once('error', (err) => (failure = new Error(`cannot start ${name}: ${err.message}`)));
  child.once('exit', (code, signal) => (failure ??= new Error(`${name} exited with ${code ?? signal}`)));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const address = listeningAddress(name, log);
    if (address) return address;
    if (failure) throw new Error(`${failure.message}; log ${logFile}:\n${log.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not log its listening address within ${START_TIMEOUT_MS / 1000} s (log: ${logFile})`);
}

/** SIGTERM, then SIGKILL if the process is still there 10 s later. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
