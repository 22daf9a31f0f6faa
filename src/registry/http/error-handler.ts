/** The one place where errors become HTTP responses: the OCI error body, no body on HEAD, 500 for the unexpected. */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../shared/logger.js';
import { BoundError, errorBody, RegistryError } from '../errors.js';
import type { RegistryMetrics } from '../metrics.js';
import { isDiskFull, type StorageHealth } from '../storage/health.js';
import { ManifestReferencesError } from '../storage/manifests.js';
import { requestInfo } from './observe.js';

/** Errors from the request stream itself (client went away mid-body). */
function isClientAbort(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error).message === 'aborted';
}

/** What a client is told when a write hit ENOSPC. */
export const DISK_FULL_MESSAGE = 'the registry storage is full; nothing half-written was kept, retry once space is freed';

export function errorHandler(logger: Logger, metrics: RegistryMetrics, health?: StorageHealth) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let errors: RegistryError[];
    if (err instanceof BoundError) metrics.limitHits.inc({ limit: err.metric });
    if (err instanceof ManifestReferencesError) errors = err.errors;
    else if (err instanceof RegistryError) errors = [err];
    else if (isDiskFull(err)) {
      // disk full: every write path leaves nothing partial visible (temp files removed, appends truncated back,
      // an upload session that hit it discarded); /readyz reports it for a while (storage/health.ts)
      const info = requestInfo(res);
      health?.noteError(err);
      metrics.storageErrors.inc({ operation: 'disk_full' });
      logger.error('storage is full', {
        requestId: info?.id,
        route: `${req.method} ${info?.route ?? 'other'}`,
        repository: info?.repository,
        error: (err as Error).message,
      });
      errors = [new RegistryError('UNAVAILABLE', DISK_FULL_MESSAGE, undefined, 507)];
    } else if (isClientAbort(err)) {
      res.destroy();
      return;
    } else {
      const info = requestInfo(res);
      metrics.storageErrors.inc({ operation: `${req.method} ${info?.route ?? 'other'}` });
      logger.error('unexpected error', { requestId: info?.id, error: (err as Error).message, stack: (err as Error).stack });
      errors = [new RegistryError('UNKNOWN', 'internal error; see the registry log')];
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = errors[0]!.status;
    for (const [k, v] of Object.entries(errors[0]!.headers)) res.setHeader(k, v);
    const bytes = Buffer.from(JSON.stringify(errorBody(errors)));
    res.status(status);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', String(req.method === 'HEAD' ? 0 : bytes.length));
    if (req.complete === false && status < 500) res.setHeader('Connection', 'close');
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
}
