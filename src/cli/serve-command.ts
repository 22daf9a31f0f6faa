/**
 * `berth serve [--config FILE] [--addr HOST:PORT] [--storage DIR]`: the registry. Flags override the file; with
 * neither, the embedded defaults (127.0.0.1:5000, ./data, no auth).
 */
import { parseArgs } from 'node:util';
import { announce, createLogger } from '../shared/logger.js';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, validateAddr, type RegistryConfig } from '../shared/registry-config.js';
import { startRegistry } from '../registry/server.js';
import { createAuth } from '../registry/auth/index.js';

export const SERVE_USAGE = `Usage: berth serve [--config FILE] [--addr HOST:PORT] [--storage DIR]

Runs the registry (OCI Distribution API, and the token service when the config has an auth section).
  --config FILE     YAML config (see README); relative paths in it resolve against its folder
  --addr HOST:PORT  listen address (default ${DEFAULT_CONFIG.http.addr}; port 0 picks a free port)
  --storage DIR     storage root (default ${DEFAULT_CONFIG.storage.root})`;

/** Builds the effective config from flags and the optional file. */
export async function resolveServeConfig(argv: string[]): Promise<RegistryConfig> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      addr: { type: 'string' },
      storage: { type: 'string' },
    },
    strict: true,
  });
  const base = values.config ? await loadConfigFile(values.config) : DEFAULT_CONFIG;
  return {
    ...base,
    http: { ...base.http, addr: values.addr ? validateAddr(values.addr, '--addr') : base.http.addr },
    storage: { ...base.storage, root: values.storage ?? base.storage.root },
  };
}

export async function serveCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  let config: RegistryConfig;
  try {
    config = await resolveServeConfig(argv);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `berth serve: ${(err as Error).message}\n\n${SERVE_USAGE}`);
    return 2;
  }
  const logger = createLogger(config.log.level, { component: 'registry' });
  const registry = await startRegistry({
    config,
    logger,
    createAuth: (c, deps) => createAuth(c.auth!, deps),
  });
  announce('listening', {
    component: 'registry',
    address: registry.address,
    scheme: registry.scheme,
    storage: config.storage.root,
    auth: config.auth ? 'token' : 'none',
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      announce('shutting down', { component: 'registry', signal });
      void registry.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
