/** What every `/v2` handler receives: the request, the typed route and the app's dependencies. */
import type { Request, Response } from 'express';
import type { Authorizer } from '../auth/types.js';
import type { RegistryConfig } from '../../shared/registry-config.js';
import type { RegistryMetrics } from '../metrics.js';
import type { Storage } from '../storage/index.js';
import type { Lifecycle } from '../lifecycle/index.js';
import type { Route } from './routes.js';

export interface AppDeps {
  config: RegistryConfig;
  storage: Storage;
  authorizer: Authorizer;
  metrics: RegistryMetrics;
  /** Immutable tags, quotas and usage (absent: no lifecycle rules, as in tests that build a bare app). */
  lifecycle?: Lifecycle;
}

export interface Ctx<R extends Route = Route> {
  req: Request;
  res: Response;
  route: R;
  deps: AppDeps;
  /** Whether the caller may pull a repository (catalog filtering, mount without `from`). */
  mayPull(repository: string): boolean;
  /** Who is asking, for per-principal bounds: the authenticated subject, else `address:<client ip>`. */
  principal: string;
  /** Request body bytes stored, for logs and metrics. */
  countIn(bytes: number): void;
}

export type Handler<R extends Route = Route> = (ctx: Ctx<R>) => Promise<void>;

/** Ends a response with no body and an explicit `Content-Length: 0` (clients rely on it). */
export function sendEmpty(res: Response, status: number, headers: Record<string, string> = {}): void {
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', '0');
  res.end();
}

/** Sends a JSON body with an exact Content-Length (no body on HEAD). */
export function sendJson(res: Response, status: number, body: unknown, contentType = 'application/json'): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.status(status);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(bytes.length));
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

/** The first value of a query parameter, if it is a string. */
export function queryParam(req: Request, key: string): string | undefined {
  const v = req.query[key];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable query parameter. */
export function queryParams(req: Request, key: string): string[] {
  const v = req.query[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}
