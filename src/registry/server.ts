/**
 * Runs a registry: opens the store, builds the app, listens, purges abandoned uploads and (when `storage.gc` and
 * `storage.scrub` are set) collects garbage and scrubs on timers, and shuts down gracefully. `/readyz` checks the
 * storage (storage/health.ts). A request may last as long as it keeps moving (a multi-GB upload is never cut);
 * headers, idle bodies, idle connections and connection counts are bounded (http/limits.ts).
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
import { repositoriesWithDeletedManifests, scheduleGc, type GcSchedule } from './storage/gc/schedule.js';
import { ensureReserve } from './storage/gc/reserve.js';
import { createStorage } from './storage/index.js';
import { StorageHealth } from './storage/health.js';
import { registerHealthMetric } from './storage/health-metrics.js';
import { createScrubMetrics } from './storage/scrub/metrics.js';
import { scheduleScrub, type ScrubSchedule } from './storage/scrub/schedule.js';
import { gcReportDocument } from './storage/gc/report-document.js';
import { openReports, type ReportPublisher } from './report/index.js';
import { REPORT_KEYS } from '../shared/schemas/report.js';
import { hostname } from 'node:os';
import type { Router } from 'express';
import type { PolicyLifecycle } from '../shared/policy.js';
import { Lifecycle } from './lifecycle/index.js';
import { createLifecycleMetrics } from './lifecycle/metrics.js';
import { scheduleLifecycle } from './lifecycle/schedule.js';
import { usageReportDocument } from './lifecycle/report-document.js';

/** Auth plugs in here; without it every request is allowed. */
export interface AuthModule {
  authorizer: Authorizer;
  router: Router;
  /** False while the module cannot serve yet (no access policy loaded): `/readyz` answers 503. */
  ready?(): boolean;
  /** The access policy's lifecycle section in force (immutable tags, quotas, retention per repository). */
  lifecycle?(): readonly PolicyLifecycle[] | undefined;
  close(): Promise<void>;
}

export interface RunningRegistry {
  server: Server;
  /** `host:port` actually bound. */
  address: string;
  /** `https` with `http.tls`, else `http`. */
  scheme: 'http' | 'https';
  metrics: RegistryMetrics;
  lifecycle: Lifecycle;
  /** Reports to the operator (the report ConfigMap in a cluster; dropped otherwise). */
  reports: ReportPublisher;
  close(): Promise<void>;
}

export interface StartDeps {
  config: RegistryConfig;
  logger: Logger;
  createAuth?: (config: RegistryConfig, deps: { logger: Logger; metrics: RegistryMetrics }) => Promise<AuthModule>;
  /** A storage driver to use instead of the one `config.storage` names (embedding, tests). */
  driver?: StorageDriver;
  /** Where reports go instead of the `report` section's ConfigMap (tests). */
  reports?: ReportPublisher;
  /** As one worker of `berth serve --workers N` (cluster/). */
  worker?: WorkerRole;
}

/** What differs in a worker of several: its metrics are labelled and served aggregated, housekeeping runs once. */
export interface WorkerRole {
  index: number;
  /**
   * Runs the upload purge and the GC, scrub and retention timers and publishes the usage report (one worker does;
   * the others only forget their stale hash states).
   */
  housekeeping: boolean;
  /** The `/metrics` answer: every worker's metrics, gathered by the primary. */
  metricsText: () => Promise<{ contentType: string; text: string }>;
}

/** How long a shutdown waits for in-flight requests. */
export const SHUTDOWN_GRACE_MS = 20_000;

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(addr.slice(i + 1)) };
}

export async function startRegistry({ config, logger, createAuth, driver, reports: givenReports, worker }: StartDeps): Promise<RunningRegistry> {
  const metrics = createMetrics();
  if (worker) metrics.registry.setDefaultLabels({ worker: String(worker.index) });
  const housekeeping = worker?.housekeeping ?? true;
  const storageDriver = driver ?? (await openDriver(config.storage));
  const storage = createStorage(storageDriver);
  if (config.auth && !createAuth) throw new Error('the config has an auth section, but no token service was given');
  const auth = config.auth && createAuth ? await createAuth(config, { logger, metrics }) : undefined;
  const reports = givenReports ?? (await openReports(config.report, logger));
  let ready = false;
  const storageHealth = new StorageHealth(storageDriver);
  registerHealthMetric(metrics.registry, storageHealth);
  await storageHealth.state(); // the first check (waits 1 s at most: a storage that hangs does not hold the start)
  if (storageHealth.lastStatus === 'ok') await ensureReserve(storageDriver).catch(() => false); // so GC can run on a full disk
  const lifecycle = new Lifecycle({
    driver: storageDriver,
    storage,
    rules: () => auth?.lifecycle?.(),
    logger: logger.child({ subsystem: 'lifecycle' }),
    metrics: createLifecycleMetrics(metrics.registry),
  });
  const app = createApp({
    config,
    storage,
    lifecycle,
    metrics,
    logger,
    authorizer: auth?.authorizer ?? allowAll,
    tokenRouter: auth?.router,
    ready: () => ready && (auth?.ready?.() ?? true),
    storageHealth,
    ...(worker ? { metricsText: worker.metricsText } : {}),
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
    if (!housekeeping) {
      await storage.uploads.forgetGone().catch(() => undefined);
      return;
    }
    try {
      const n = await storage.uploads.purge(config.storage.uploadPurge.maxAgeMs);
      if (n > 0) logger.info('purged abandoned uploads', { count: n });
    } catch (err) {
      logger.error('upload purge failed', { error: (err as Error).message });
    }
  };
  const timer = setInterval(() => void purge(), config.storage.uploadPurge.intervalMs);
  timer.unref();
  const gc: GcSchedule | undefined = config.storage.gc && housekeeping
    ? scheduleGc(
        { driver: storageDriver, blobs: storage.blobs, catalog: storage.catalog },
        {
          policy: gcPolicyOf(config.storage.gc),
          intervalMs: config.storage.gc.intervalMs,
          leaseTtlMs: config.storage.gc.leaseMs,
          onFinished: (outcome) => {
            reports.publish(REPORT_KEYS.gc, gcReportDocument(outcome, hostname()));
            // a run may have deleted untagged manifests: recount those repositories (only they changed)
            if (outcome.ok) void lifecycle.rescanRepositories(repositoriesWithDeletedManifests(outcome.report)).catch(() => undefined);
          },
        },
        logger,
        createGcMetrics(metrics.registry),
      )
    : undefined;
  const scrub: ScrubSchedule | undefined = config.storage.scrub && housekeeping
    ? scheduleScrub(
        { driver: storageDriver, catalog: storage.catalog },
        { intervalMs: config.storage.scrub.intervalMs, concurrency: config.storage.scrub.concurrency },
        logger,
        createScrubMetrics(metrics.registry),
      )
    : undefined;
  const { retentionIntervalMs, usageRescanIntervalMs } = config.storage.lifecycle;
  const report = config.report && housekeeping ? () => reports.publish(REPORT_KEYS.usage, usageReportDocument(lifecycle.report(), Date.now(), hostname())) : undefined;
  const lifecycleTimers = scheduleLifecycle(lifecycle, { retentionIntervalMs, usageRescanIntervalMs, retention: housekeeping, ...(report ? { report } : {}) }, logger);
  // Quotas need the usage counted: ready once the first count is done (a failed count is logged and retried later).
  await lifecycle.rescan().catch((err: unknown) => logger.error('usage count failed', { error: (err as Error).message }));
  ready = true;
  return {
    server,
    address,
    scheme: tls ? 'https' : 'http',
    metrics,
    lifecycle,
    reports,
    async close() {
      ready = false;
      clearInterval(timer);
      await lifecycleTimers.stop();
      stopTlsReload?.();
      await gc?.stop();
      await scrub?.stop();
      await reports.close();
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
