/**
 * HTTP for the token service: `GET /token`, `POST /token` and the public keys at `GET /token/jwks.json`. Only
 * translation happens here; {@link answerTokenRequest} decides. Token responses are never cached; a refusal is
 * thrown as a {@link RegistryError} into the app's one error handler, which writes the OCI error body (`code` and
 * `message`, never credentials).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { RegistryError } from '../errors.js';
import type { KeySet } from './keys.js';
import { quote } from './challenge.js';
import { TOKEN_OUTCOMES } from './metrics.js';
import { parseTokenForm, parseTokenQuery, type ParsedTokenRequest } from './token-request.js';
import { answerTokenRequest, type TokenReply, type TokenServiceDeps } from './token-service.js';

export const TOKEN_PATH = '/token';
export const JWKS_PATH = '/token/jwks.json';
/** An OAuth2 form is a few hundred bytes; anything far larger is not one. */
const FORM_LIMIT = '64kb';
const NO_STORE = { 'Cache-Control': 'no-store' } as const;

function sendJson(res: Response, body: unknown, headers: Record<string, string>): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.status(200);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', String(bytes.length));
  res.end(bytes);
}

/** A refused token request: 400 UNSUPPORTED (a malformed request), never cached. */
const badRequest = (message: string, status = 400): RegistryError =>
  new RegistryError('UNSUPPORTED', message, undefined, status, NO_STORE);

/** A refusal from the token service, with its `WWW-Authenticate: Basic` (401) or `Retry-After` (429). */
function refusal(reply: Exclude<TokenReply, { status: 200 }>, service: string): RegistryError {
  const headers: Record<string, string> = { ...NO_STORE };
  if (reply.status === 401) headers['WWW-Authenticate'] = `Basic realm=${quote(service)}`;
  if (reply.retryAfterS !== undefined) headers['Retry-After'] = String(reply.retryAfterS);
  return new RegistryError(reply.code, reply.message, undefined, reply.status, headers);
}

const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? '';

/** The query string as the client sent it (repeated `scope` parameters kept in order). */
const queryOf = (req: Request): URLSearchParams => new URLSearchParams(req.originalUrl.split('?')[1] ?? '');

/** express.text for the OAuth2 form, its failures (too large, malformed) turned into token errors. */
function formBody(deps: TokenServiceDeps): RequestHandler {
  const parse = express.text({ type: 'application/x-www-form-urlencoded', limit: FORM_LIMIT });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      const status = (err as { status?: number } | undefined)?.status;
      if (err === undefined || status === undefined || status >= 500) return next(err);
      deps.logger.debug('token request body refused', { error: (err as Error).message });
      next(status === 413 ? badRequest('form too large', 413) : badRequest('malformed form'));
    });
}

export function createTokenRouter(deps: TokenServiceDeps, keys: KeySet): Router {
  const router = express.Router();
  const service = deps.settings.service;

  const answer = async (req: Request, res: Response, parsed: ParsedTokenRequest): Promise<void> => {
    if (!parsed.ok) {
      deps.metrics.tokens.inc({ grant: parsed.grant, outcome: TOKEN_OUTCOMES.badRequest });
      throw badRequest(parsed.message);
    }
    const reply = await answerTokenRequest(deps, parsed.request, clientIp(req));
    if (reply.status !== 200) throw refusal(reply, service);
    sendJson(res, reply.body, { ...NO_STORE, Pragma: 'no-cache' });
  };

  router.get(TOKEN_PATH, async (req, res) => {
    await answer(req, res, parseTokenQuery(queryOf(req), req.headers.authorization));
  });

  router.post(TOKEN_PATH, formBody(deps), async (req, res) => {
    if (typeof req.body !== 'string') throw badRequest('POST /token takes an application/x-www-form-urlencoded form');
    await answer(req, res, parseTokenForm(new URLSearchParams(req.body)));
  });

  router.get(JWKS_PATH, (_req, res) => {
    sendJson(res, keys.jwks, { 'Cache-Control': 'public, max-age=60' });
  });
  return router;
}
