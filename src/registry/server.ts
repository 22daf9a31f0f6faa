/**
 * Runs a registry: opens the store, builds the app, listens, purges abandoned uploads and (when `storage.gc` is set)
 * collects garbage on timers, and shuts down gracefully. A request may last as long as it keeps moving (a multi-GB upload is never cut); headers, idle bodies,
 * idle connections and connection counts are bounded (http/limits.ts).
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../shared/logger.js';
import { allowAll, type Authorizer } from './auth/types.js';
import type { RegistryConfig } from '../shared/registry-config.js';
import { createApp } from './http/app.js';
import { guardServer, serverTimeouts } from './http/limits.js';
import { describeCertificate, readTlsPair, reloadOnChange } from './http/tls-files.js';
import { createMetrics, type RegistryMetrics } from './metrics.js';
import type { StorageDriver } from './storage/driver.js';
import { openDriver } from './storage/drivers/open.js';
import { gcPolicyOf } from './storage/gc/config.js';
import { createGcMetrics } from './storage/gc/metrics.js';
import { scheduleGc, type GcSchedule } from './storage/gc/schedule.js';
import { createStorage } from './storage/index.js';
import type { Router } from 'express';

/** Auth plugs in here; without it every request is allowed. */
export interface AuthModule {
  authorizer: Authorizer;
  router: Router;
  /** False while the module cannot serve yet (no access policy loaded): `/readyz` answers 503. */
  ready?(): boolean;
  close(): Promise<void>;
}

export interface RunningRegistry {
  server: Server;
  /** `host:port` actually bound. */
  address: string;
  /** `https` with `http.tls`, else `http`. */
  scheme: 'http' | 'https';
  metrics: RegistryMetrics;
  close(): Promise<void>;
}

export interface StartDeps {
  config: RegistryConfig;
  logger: Logger;
  createAuth?: (config: RegistryConfig, deps: { logger: Logger; metrics: RegistryMetrics }) => Promise<AuthModule>;
  /** A storage driver to use instead of the one `config.storage` names (embedding, tests). */
  driver?: StorageDriver;
}

/** How long a shutdown waits for in-flight requests. */
export const SHUTDOWN_GRACE_MS = 20_000;

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(addr.slice(i + 1)) };
}

export async function startRegistry({ config, logger, createAuth, driver }: StartDeps): Promise<RunningRegistry> {
  const metrics = createMetrics();
  const storageDriver = driver ?? (await openDriver(config.storage));
  const storage = createStorage(storageDriver);
  if (config.auth && !createAuth) throw new Error('the config has an auth section, but no token service was given');
  const auth = config.auth && createAuth ? await createAuth(config, { logger, metrics }) : undefined;
  let ready = false;
  const app = createApp({
    config,
    storage,
    metrics,
    logger,
    authorizer: auth?.authorizer ?? allowAll,
    tokenRouter: auth?.router,
    ready: () => ready && (auth?.ready?.() ?? true),
  });
  // A certificate that does not load stops the start (a later bad one is only logged: tls-files.ts).
  const tls = config.http.tls && (await readTlsPair(config.http.tls));
  const server: Server = tls ? createHttpsServer({ ...serverTimeouts(config.http), ...tls }, app) : createServer(serverTimeouts(config.http), app);
  const stopGuard = guardServer(server, config.http, metrics);
  const { host, port } = splitAddr(config.http.addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  const stopTlsReload = tls && config.http.tls ? await reloadOnChange(server as Server & TlsServer, config.http.tls, logger) : undefined;
  if (tls) logger.info('serving HTTPS', describeCertificate(tls.cert));
  const purge = async (): Promise<void> => {
    try {
      const n = await storage.uploads.purge(config.storage.uploadPurge.maxAgeMs);
      if (n > 0) logger.info('purged abandoned uploads', { count: n });
    } catch (err) {
      logger.error('upload purge failed', { error: (err as Error).message });
    }
  };
  const timer = setInterval(() => void purge(), config.storage.uploadPurge.intervalMs);
  timer.unref();
  const gc: GcSchedule | undefined = config.storage.gc
    ? scheduleGc(
        { driver: storageDriver, blobs: storage.blobs, catalog: storage.catalog },
        { policy: gcPolicyOf(config.storage.gc), intervalMs: config.storage.gc.intervalMs, leaseTtlMs: config.storage.gc.leaseMs },
        logger,
        createGcMetrics(metrics.registry),
      )
    : undefined;
  ready = true;
  return {
    server,
    address,
    scheme: tls ? 'https' : 'http',
    metrics,
    async close() {
      ready = false;
      clearInterval(timer);
      stopTlsReload?.();
      await gc?.stop();
      stopGuard();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still running after the grace period (a stalled upload) are cut; their sessions stay on disk.
        setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
      });
      await auth?.close();
    },
  };
}
