/**
 * Starts the reference registry, Debian's `docker-registry` (CNCF Distribution 2.8), on a free loopback port
 * over a temporary root directory, with a generated YAML config (delete enabled). Same shape as
 * {@link BerthProcess}, so tests and the benchmark can run one scenario against either server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { stopChild, tool } from './tools.js';

export interface DistributionProcess {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, as clients name the registry. */
  host: string;
  /** The storage root directory. */
  storage: string;
  child: ChildProcess;
  /** Every line the process logged so far (logrus text format). */
  logs: string[];
  /** Stops the process; removes the storage root and config if this helper created them. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface DistributionOptions {
  /** Storage root directory (default: a new temporary directory, removed by `stop()`). */
  storage?: string;
  /** Listen address (default `127.0.0.1:0`, a free port). */
  addr?: string;
  /** Extra top-level config sections, merged over the generated ones (e.g. `auth`). */
  config?: Record<string, unknown>;
  /** Log level (default `info`; `warn` keeps benchmark runs quiet). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The registry config this helper writes: filesystem storage with delete enabled, no upload purging. */
export function distributionConfig(storage: string, opts: DistributionOptions = {}): Record<string, unknown> {
  return {
    version: 0.1,
    log: { level: opts.logLevel ?? 'info', formatter: 'text' },
    storage: {
      filesystem: { rootdirectory: storage },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: opts.addr ?? '127.0.0.1:0', secret: randomBytes(16).toString('hex') },
    ...opts.config,
  };
}

const LISTENING = /msg="listening on ([^"]+)"/;

/** Starts `docker-registry serve` and waits until it logs its listening address. */
export async function startDistribution(opts: DistributionOptions = {}): Promise<DistributionProcess> {
  const workDir = await mkdtemp(join(tmpdir(), 'berth-distribution-'));
  const storage = opts.storage ?? join(workDir, 'storage');
  const configFile = join(workDir, 'config.yml');
  await writeFile(configFile, stringify(distributionConfig(storage, opts)));
  const child = spawn(tool('docker-registry'), ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const address = await waitForListening(child, logs);
  const cleanup = () => rm(workDir, { recursive: true, force: true });
  return {
    url: `http://${address}`,
    host: address,
    storage,
    child,
    logs,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      await stopChild(child, signal);
      await cleanup();
    },
  };
}

function waitForListening(child: ChildProcess, logs: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker-registry did not start within 20s\n${logs.join('\n')}`));
    }, 20_000);
    const onLine = (line: string) => {
      logs.push(line);
      const match = LISTENING.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited with ${code}\n${logs.join('\n')}`));
    });
  });
}
