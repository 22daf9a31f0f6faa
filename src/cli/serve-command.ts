/**
 * `berth serve [--config FILE] [--addr HOST:PORT] [--storage DIR] [--workers N]`: the registry. Flags override the
 * file; with neither, the embedded defaults (127.0.0.1:5000, ./data, no auth). With more than one worker the
 * process becomes a node:cluster primary (registry/cluster/primary.ts) and each worker runs this same command.
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { announce, createLogger } from '../shared/logger.js';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, validateAddr, type RegistryConfig } from '../shared/registry-config.js';
import { startRegistry, type StartDeps } from '../registry/server.js';
import { createAuth } from '../registry/auth/index.js';
import { allowedCpus } from '../registry/cluster/cpus.js';
import { WORKER_INDEX_ENV } from '../registry/cluster/messages.js';

export const SERVE_USAGE = `Usage: berth serve [--config FILE] [--addr HOST:PORT] [--storage DIR] [--workers N]

Runs the registry (OCI Distribution API, and the token service when the config has an auth section).
  --config FILE     YAML config (see README); relative paths in it resolve against its folder
  --addr HOST:PORT  listen address (default ${DEFAULT_CONFIG.http.addr}; port 0 picks a free port)
  --storage DIR     storage root (default ${DEFAULT_CONFIG.storage.root})
  --workers N       processes serving the one listening socket (default: the CPUs the cgroup limit allows,
                    else the CPUs available; 1 serves from this process alone)`;

export interface ServeOptions {
  config: RegistryConfig;
  workers: number;
}

function parseWorkers(value: string | undefined): number {
  if (value === undefined) return allowedCpus();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`--workers must be an integer from 1 to 256, got ${JSON.stringify(value)}`);
  return n;
}

/** Builds the effective config from flags and the optional file, and the worker count. */
export async function resolveServeOptions(argv: string[]): Promise<ServeOptions> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      addr: { type: 'string' },
      storage: { type: 'string' },
      workers: { type: 'string' },
    },
    strict: true,
  });
  const workers = parseWorkers(values.workers);
  const base = values.config ? await loadConfigFile(values.config) : DEFAULT_CONFIG;
  const config = {
    ...base,
    http: { ...base.http, addr: values.addr ? validateAddr(values.addr, '--addr') : base.http.addr },
    storage: { ...base.storage, root: values.storage ?? base.storage.root },
  };
  return { config, workers };
}

export async function serveCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  let opts: ServeOptions;
  try {
    opts = await resolveServeOptions(argv);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `berth serve: ${(err as Error).message}\n\n${SERVE_USAGE}`);
    return 2;
  }
  const { config, workers } = opts;
  if (cluster.isWorker) return serveAsWorker(config);
  if (workers > 1) {
    const { runPrimary } = await import('../registry/cluster/primary.js');
    return runPrimary({ workers, config, logger: createLogger(config.log.level, { component: 'registry', role: 'primary' }) });
  }
  const registry = await startRegistry({
    config,
    logger: createLogger(config.log.level, { component: 'registry' }),
    createAuth: (c, deps) => createAuth(c.auth!, deps),
  });
  announce('listening', {
    component: 'registry',
    address: registry.address,
    scheme: registry.scheme,
    storage: config.storage.root,
    auth: config.auth ? 'token' : 'none',
  });
  await untilSignal((signal) => announce('shutting down', { component: 'registry', signal }));
  await registry.close();
  return 0;
}

function untilSignal(onSignal: (signal: string) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      onSignal(signal);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** One worker of several: serves, reports `listening` to the primary, stops on SIGTERM from it. */
async function serveAsWorker(config: RegistryConfig): Promise<number> {
  const { PrimaryLink } = await import('../registry/cluster/worker-link.js');
  const index = Number(process.env[WORKER_INDEX_ENV] ?? 0);
  const logger = createLogger(config.log.level, { component: 'registry', worker: index });
  const link = new PrimaryLink();
  const limiter = config.auth ? link.loginLimiter(config.auth.maxConcurrentLoginsPerAddress) : undefined;
  const deps: StartDeps = {
    config,
    logger,
    createAuth: (c, d) => createAuth(c.auth!, { ...d, ...(limiter ? { limiter } : {}) }),
    worker: { index, housekeeping: index === 0, metricsText: () => link.metrics() },
  };
  const registry = await startRegistry(deps);
  link.serveMetrics(registry.metrics.registry);
  link.send({ type: 'berth:listening', address: registry.address });
  // The primary dying disconnects the channel; node:cluster then ends this worker.
  await untilSignal((signal) => logger.info('worker stopping', { signal }));
  await registry.close();
  process.disconnect();
  return 0;
}
