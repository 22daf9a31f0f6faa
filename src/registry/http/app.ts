/**
 * The registry's express app, composed from explicit dependencies: nothing runs at import time, and tests build
 * their own app over a temp directory.
 */
import express, { type Router } from 'express';
import type { Logger } from '../../shared/logger.js';
import type { StorageHealth } from '../storage/health.js';
import type { AppDeps } from './context.js';
import { v2Dispatcher } from './dispatch.js';
import { errorHandler } from './error-handler.js';
import { observe } from './observe.js';

export interface AppOptions extends AppDeps {
  logger: Logger;
  /** Serves `/token` and the JWKS when auth is on. */
  tokenRouter?: Router;
  /** Readiness: false while starting or shutting down. */
  ready: () => boolean;
  /** Storage checks for `/readyz` (and ENOSPC seen by requests); absent: storage is not checked. */
  storageHealth?: StorageHealth;
  /** Serves `/metrics` from here instead of this process's registry (a worker of several: all workers' metrics). */
  metricsText?: () => Promise<{ contentType: string; text: string }>;
}

export function createApp(opts: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'extended');
  // Behind one trusted proxy, req.ip is the client it saw (rate limits per client address depend on it).
  if (opts.config.http.trustProxy) app.set('trust proxy', 1);
  app.use(observe(opts.logger, opts.metrics));
  // The registry API first: every other route is matched (and skipped) on each /v2 request that passes it.
  app.use('/v2', v2Dispatcher(opts));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const storage = await opts.storageHealth?.state();
    // a full storage still serves pulls: ready, but degraded (taking every replica out would stop pulls too)
    const ready = opts.ready() && storage?.status !== 'unavailable';
    const status = !ready ? 'not ready' : storage?.status === 'full' ? 'degraded' : 'ready';
    res.status(ready ? 200 : 503).json({ status, ...(storage ? { storage } : {}) });
  });
  app.get('/metrics', async (_req, res) => {
    const { contentType, text } = opts.metricsText
      ? await opts.metricsText()
      : { contentType: opts.metrics.registry.contentType, text: await opts.metrics.registry.metrics() };
    res.setHeader('Content-Type', contentType);
    res.end(text);
  });
  if (opts.tokenRouter) app.use(opts.tokenRouter);
  app.use(errorHandler(opts.logger, opts.metrics, opts.storageHealth));
  return app;
}
