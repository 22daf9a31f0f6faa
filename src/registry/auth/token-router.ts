/**
 * HTTP for the token service: `GET /token`, `POST /token` and the public keys at `GET /token/jwks.json`. Only
 * translation happens here; {@link answerTokenRequest} decides. Token responses are never cached; error bodies use
 * the OCI error shape and never echo credentials.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { KeySet } from './keys.js';
import { quote } from './challenge.js';
import { TOKEN_OUTCOMES } from './metrics.js';
import { parseTokenForm, parseTokenQuery, type ParsedTokenRequest } from './token-request.js';
import { answerTokenRequest, type TokenReply, type TokenServiceDeps } from './token-service.js';

export const TOKEN_PATH = '/token';
export const JWKS_PATH = '/token/jwks.json';
/** An OAuth2 form is a few hundred bytes; anything far larger is not one. */
const FORM_LIMIT = '64kb';

function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', String(bytes.length));
  res.end(bytes);
}

function sendError(res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ code, message }] }, { 'Cache-Control': 'no-store', ...headers });
}

function sendReply(res: Response, reply: TokenReply, service: string): void {
  if (reply.status === 200) {
    sendJson(res, 200, reply.body, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    return;
  }
  const headers: Record<string, string> = {};
  if (reply.status === 401) headers['WWW-Authenticate'] = `Basic realm=${quote(service)}`;
  if (reply.retryAfterS !== undefined) headers['Retry-After'] = String(reply.retryAfterS);
  sendError(res, reply.status, reply.code, reply.message, headers);
}

const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? '';

/** The query string as the client sent it (repeated `scope` parameters kept in order). */
const queryOf = (req: Request): URLSearchParams => new URLSearchParams(req.originalUrl.split('?')[1] ?? '');

export function createTokenRouter(deps: TokenServiceDeps, keys: KeySet): Router {
  const router = express.Router();
  const service = deps.settings.service;

  const answer = async (req: Request, res: Response, parsed: ParsedTokenRequest): Promise<void> => {
    if (!parsed.ok) {
      deps.metrics.tokens.inc({ grant: parsed.grant, outcome: TOKEN_OUTCOMES.badRequest });
      sendError(res, 400, 'UNSUPPORTED', parsed.message);
      return;
    }
    sendReply(res, await answerTokenRequest(deps, parsed.request, clientIp(req)), service);
  };

  router.get(TOKEN_PATH, async (req, res) => {
    await answer(req, res, parseTokenQuery(queryOf(req), req.headers.authorization));
  });

  router.post(TOKEN_PATH, express.text({ type: 'application/x-www-form-urlencoded', limit: FORM_LIMIT }), async (req, res) => {
    if (typeof req.body !== 'string') {
      sendError(res, 400, 'UNSUPPORTED', 'POST /token takes an application/x-www-form-urlencoded form');
      return;
    }
    await answer(req, res, parseTokenForm(new URLSearchParams(req.body)));
  });

  router.get(JWKS_PATH, (_req, res) => {
    sendJson(res, 200, keys.jwks, { 'Cache-Control': 'public, max-age=60' });
  });

  router.use(TOKEN_PATH, (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (res.headersSent || status === undefined || status >= 500) {
      next(err);
      return;
    }
    deps.logger.debug('token request body refused', { error: (err as Error).message });
    sendError(res, status === 413 ? 413 : 400, 'UNSUPPORTED', status === 413 ? 'form too large' : 'malformed form');
  });
  return router;
}
