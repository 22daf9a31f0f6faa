/**
 * Starts a real `berth serve` process (the built CLI in dist/) on a free loopback port, for integration tests,
 * the conformance suite, real clients and the benchmark. It waits for the JSON log line
 * `{"message":"listening","address":"127.0.0.1:PORT"}`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForListening } from './listening.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface BerthProcess {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, as clients name the registry. */
  host: string;
  storage: string;
  child: ChildProcess;
  /** Every log line the process printed so far (parsed JSON where possible). */
  logs: Array<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  storage?: string;
  config?: string;
  addr?: string;
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
  /** Node binary to use (default: the one running the tests). */
  node?: string;
  /** `--workers N` (default 1: one process, whose pid is `child.pid`; the CLI's own default is the CPUs allowed). */
  workers?: number;
}

export async function startBerth(opts: StartOptions = {}): Promise<BerthProcess> {
  const ownStorage = opts.storage === undefined;
  const storage = opts.storage ?? (await mkdtemp(join(tmpdir(), 'berth-data-')));
  const args = [CLI, 'serve', '--addr', opts.addr ?? '127.0.0.1:0', '--storage', storage];
  if (opts.config) args.push('--config', opts.config);
  args.push('--workers', String(opts.workers ?? 1));
  args.push(...(opts.extraArgs ?? []));
  const child = spawn(opts.node ?? process.execPath, args, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const address = await waitForListening(child, logs, 'berth serve');
  return {
    url: `http://${address}`,
    host: address,
    storage,
    child,
    logs,
    /** Stops the process; removes the storage folder if this helper made it. */
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
      if (ownStorage) await rm(storage, { recursive: true, force: true });
    },
  };
}
