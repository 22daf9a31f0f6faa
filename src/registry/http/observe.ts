/**
 * Request logging and metrics: one JSON log line and one count per request, with request id, method, route kind,
 * repository, status, bytes and duration. Never headers, never bodies: no secret can reach a log this way.
 * Probes and scrapes (`/healthz`, `/readyz`, `/metrics`: a request every few seconds per pod) log at debug only.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { lineWriter, type Logger, type LogLevel } from '../../shared/logger.js';
import type { RegistryMetrics } from '../metrics.js';

export interface RequestInfo {
  id: string;
  route: string;
  repository: string | undefined;
  subject: string | undefined;
  bytesIn: number;
}

const INFO = Symbol('berth.requestInfo');

export function requestInfo(res: Response): RequestInfo {
  return (res as unknown as Record<symbol, RequestInfo>)[INFO]!;
}

/** Paths polled by kubelets and Prometheus: their request lines are debug, not info. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** The level of a request's log line, from its raw URL. */
export function requestLogLevel(url: string): LogLevel {
  const q = url.indexOf('?');
  return PROBE_PATHS.has(q < 0 ? url : url.slice(0, q)) ? 'debug' : 'info';
}

function bytesOut(res: Response): number {
  const len = Number(res.getHeader('Content-Length'));
  return res.req.method === 'HEAD' || !Number.isFinite(len) ? 0 : len;
}

export function observe(logger: Logger, metrics: RegistryMetrics) {
  const log = lineWriter(logger);
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    const header = req.headers['x-request-id'];
    const id = typeof header === 'string' && /^[\w.-]{1,64}$/.test(header) ? header : randomUUID();
    const info: RequestInfo = { id, route: 'other', repository: undefined, subject: undefined, bytesIn: 0 };
    (res as unknown as Record<symbol, RequestInfo>)[INFO] = info;
    res.setHeader('X-Request-Id', id);
    let done = false;
    const finish = (aborted: boolean): void => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const out = aborted ? 0 : bytesOut(res);
      const status = aborted ? 499 : res.statusCode;
      metrics.requests.inc({ route: info.route, method: req.method, status: String(status) });
      metrics.requestDuration.observe({ route: info.route, method: req.method }, seconds);
      if (info.bytesIn) metrics.bytesIn.inc({ route: info.route }, info.bytesIn);
      if (out) metrics.bytesOut.inc({ route: info.route }, out);
      log(requestLogLevel(req.url), 'request', {
        requestId: id,
        method: req.method,
        route: info.route,
        repository: info.repository,
        subject: info.subject || undefined,
        status,
        bytesIn: info.bytesIn,
        bytesOut: out,
        durationMs: Math.round(seconds * 1e4) / 10,
        ...(aborted ? { aborted: true } : {}),
      });
    };
    res.on('finish', () => finish(false));
    res.on('close', () => finish(!res.writableFinished));
    next();
  };
}
