/** The `/v2` dispatcher: route → authorization → one handler; the table says which handler serves what. */
import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import { RegistryError } from '../errors.js';
import { requireName } from '../oci/names.js';
import { requiredAccess } from './access.js';
import { sendJson, type AppDeps, type Handler } from './context.js';
import { deleteBlob, getBlob } from './handlers/blobs.js';
import { listCatalog, listReferrers, listTags } from './handlers/lists.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.js';
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './handlers/uploads.js';
import { matchRoute, routeName, type MethodOf, type Route, type RouteKind, type RouteOf } from './routes.js';
import { requestInfo } from './observe.js';

const base: Handler = async ({ res }) => sendJson(res, 200, {});

/** Every method of `METHODS` (routes.ts) has exactly one handler: a missing or extra one fails to compile. */
type HandlerTable = { [K in RouteKind]: { [M in MethodOf<K>]: Handler<RouteOf<K>> } };

const HANDLERS: HandlerTable = {
  base: { GET: base, HEAD: base },
  catalog: { GET: listCatalog },
  tags: { GET: listTags },
  manifest: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest },
  blob: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob },
  uploadStart: { POST: startUpload },
  upload: { GET: uploadStatus, HEAD: uploadStatus, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload },
  referrers: { GET: listReferrers },
};

/** The handler of a matched route (matchRoute already refused methods the table does not list). */
function handlerFor(route: Route, method: string): Handler {
  const byMethod = HANDLERS[route.kind] as Record<string, Handler<never>>;
  return byMethod[method] as Handler;
}

/** The base URL clients used for this request (the token realm is built from it). */
function externalUrl(req: Request, deps: AppDeps): string {
  if (deps.config.http.externalUrl) return deps.config.http.externalUrl;
  const fwd = (h: string): string | undefined => {
    const v = req.headers[h];
    return deps.config.http.trustProxy && typeof v === 'string' ? v.split(',')[0]!.trim() : undefined;
  };
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  return `${fwd('x-forwarded-proto') ?? scheme}://${fwd('x-forwarded-host') ?? req.headers.host ?? 'localhost'}`;
}

export function v2Dispatcher(deps: AppDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    const info = requestInfo(res);
    try {
      const path = req.originalUrl.split('?', 1)[0]!;
      const match = matchRoute(req.method, path);
      if (!match.ok) {
        if (match.kind) info.route = match.kind;
        if (match.allowed) res.setHeader('Allow', match.allowed.join(', '));
        throw match.status === 405
          ? new RegistryError('UNSUPPORTED', `method ${req.method} not allowed here`, undefined, 405)
          : new RegistryError('NAME_UNKNOWN', 'no such endpoint', { path: path.slice(0, 300) }, 404);
      }
      const route: Route = match.route;
      info.route = route.kind;
      const name = routeName(route);
      if (name !== undefined) info.repository = requireName(name);
      const decision = await deps.authorizer.authorize(
        { authorization: req.headers.authorization, clientIp: req.ip ?? '', externalUrl: externalUrl(req, deps) },
        requiredAccess(route, req.method),
      );
      if (!decision.ok) {
        if (decision.status === 401) res.setHeader('WWW-Authenticate', decision.challenge);
        throw new RegistryError(decision.code, decision.message, decision.detail, decision.status);
      }
      info.subject = decision.subject;
      await handlerFor(route, req.method)({
        req,
        res,
        route,
        deps,
        mayPull: decision.mayPull,
        principal: decision.subject || `address:${req.ip ?? ''}`,
        countIn: (n) => (info.bytesIn += n),
      });
    } catch (err) {
      next(err);
    }
  };
}
