/**
 * The token service's decisions, without HTTP: who is asking (anonymous, a login, a refresh token), whether they
 * are rate-limited, what they get (the intersection of what they asked and what the policy allows), and the
 * response. The router only translates requests and responses.
 */
import type { Logger } from '../../shared/logger.js';
import { ANONYMOUS, principalOf, type Principal } from '../../shared/policy-match.js';
import { grantAccess } from './grant.js';
import { isKubeSubject, KUBE_SUBJECT_PREFIX, kubeAccess, looksLikeKubeToken, unionAccess } from './kubernetes/access.js';
import type { KubeReviews, KubeUser } from './kubernetes/reviews.js';
import { credentialStillValid, login } from './login.js';
import { TOKEN_OUTCOMES, type AuthMetrics } from './metrics.js';
import type { PolicyStore } from './policy-store.js';
import type { LoginAdmitter, LoginTicket, Refusal } from './login-limiter.js';
import { formatScopes } from './scope.js';
import type { TokenRequest } from './token-request.js';
import type { AccessItem } from './types.js';
import { issueAccessToken, issueRefreshToken, TokenError, verifyRefreshToken, type TokenSettings } from './tokens.js';

export interface TokenServiceDeps {
  settings: TokenSettings;
  policy: PolicyStore;
  limiter: LoginAdmitter;
  logger: Logger;
  metrics: AuthMetrics;
  /** Kubernetes bearer tokens as passwords (`auth.kubernetes.enabled`). */
  kubernetes?: KubeReviews;
}

export interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  scope: string;
  refresh_token?: string;
}

export type TokenReply =
  | { status: 200; body: TokenBody }
  | {
      status: 400 | 401 | 429 | 503;
      code: 'UNSUPPORTED' | 'UNAUTHORIZED' | 'TOOMANYREQUESTS' | 'UNAVAILABLE';
      message: string;
      retryAfterS?: number;
    };

type Who =
  | { ok: true; principal: Principal; refresh?: { cred: string; maxExpS: number | undefined }; kube?: KubeUser }
  | { ok: false; reply: TokenReply };

const UNAUTHORIZED: TokenReply = { status: 401, code: 'UNAUTHORIZED', message: 'invalid username or password' };
const KUBE_UNAVAILABLE: TokenReply = {
  status: 503,
  code: 'UNAVAILABLE',
  message: 'cannot check Kubernetes credentials now (the Kubernetes API did not answer); try again later',
  retryAfterS: 5,
};

const REFUSED_MESSAGES = {
  rate_limited: 'too many failed logins; try again later',
  concurrency_limited: 'too many logins in progress; try again shortly',
} as const;

/** Admits a login attempt (reserving it against the limits), or the 429 that refuses it. */
async function admit(deps: TokenServiceDeps, account: string | undefined, ip: string, now: number): Promise<Admitted> {
  const admission = await deps.limiter.begin(account, ip, now);
  if (admission.ok) return { ok: true, ticket: admission.ticket };
  return refused(deps, admission);
}

/** The 429 of a refused attempt, counted. */
function refused(deps: TokenServiceDeps, refusal: { reason: Refusal; retryAfterMs: number }): { ok: false; reply: TokenReply } {
  deps.metrics.loginFailures.inc({ reason: refusal.reason });
  const retryAfterS = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  return { ok: false, reply: { status: 429, code: 'TOOMANYREQUESTS', message: REFUSED_MESSAGES[refusal.reason], retryAfterS } };
}

type Admitted = { ok: true; ticket: LoginTicket } | { ok: false; reply: TokenReply };

function failed(deps: TokenServiceDeps, ticket: LoginTicket, reason: string, log: Record<string, unknown>): Who {
  ticket.failed();
  deps.metrics.loginFailures.inc({ reason });
  deps.logger.warn('login failed', { ...log, reason });
  return { ok: false, reply: UNAUTHORIZED };
}

/**
 * A login whose password is a Kubernetes token: a TokenReview with the configured audiences. The username the client
 * chose is ignored; the identity is the API server's. An API failure fails closed with 503.
 */
async function byKubeToken(deps: TokenServiceDeps, reviews: KubeReviews, ticket: LoginTicket, token: string, ip: string, grant: string): Promise<Who> {
  let auth: Awaited<ReturnType<KubeReviews['authenticate']>>;
  try {
    auth = await reviews.authenticate(token);
  } catch (err) {
    // Counted as a failure: an outage must not mark the client's chosen name as trusted from this address.
    ticket.failed();
    deps.metrics.loginFailures.inc({ reason: 'kubernetes_unavailable' });
    deps.logger.error('Kubernetes TokenReview failed; login refused', { client: ip, grant, error: (err as Error).message });
    return { ok: false, reply: KUBE_UNAVAILABLE };
  }
  if (!auth.ok) return failed(deps, ticket, auth.reason, { client: ip, account: '(kubernetes token)', grant });
  ticket.succeeded();
  return { ok: true, principal: { kind: 'user', name: `${KUBE_SUBJECT_PREFIX}${auth.user.username}` }, kube: auth.user };
}

/** A robot's login against a limiter that settles in one step (see {@link LoginAdmitter.settle}). */
async function bySettledRobotLogin(deps: TokenServiceDeps, settle: NonNullable<LoginAdmitter['settle']>, req: Extract<TokenRequest, { credentials: unknown }>, ip: string, now: number): Promise<Who> {
  const { username, password } = req.credentials;
  const result = await login(deps.policy.current, username, password, now, deps.policy.passwordReference);
  const settled = await settle(username, ip, result.ok, now);
  if (!settled.ok) return refused(deps, settled);
  if (!result.ok) {
    deps.metrics.loginFailures.inc({ reason: result.reason });
    deps.logger.warn('login failed', { client: ip, account: username, grant: req.grant, reason: result.reason });
    return { ok: false, reply: UNAUTHORIZED };
  }
  const refresh = req.offline ? { cred: result.credential, maxExpS: result.expiresAtS } : undefined;
  return { ok: true, principal: principalOf(result.account), ...(refresh ? { refresh } : {}) };
}

async function byLogin(deps: TokenServiceDeps, req: Extract<TokenRequest, { credentials: unknown }>, ip: string, now: number): Promise<Who> {
  const { username, password } = req.credentials;
  const settle = deps.limiter.settle?.bind(deps.limiter);
  if (settle && deps.policy.current.account(username)?.kind === 'robot') return bySettledRobotLogin(deps, settle, req, ip, now);
  const admitted = await admit(deps, username, ip, now);
  if (!admitted.ok) return admitted;
  const { ticket } = admitted;
  if (deps.kubernetes && !deps.policy.current.account(username) && looksLikeKubeToken(password)) {
    return byKubeToken(deps, deps.kubernetes, ticket, password, ip, req.grant);
  }
  let result: Awaited<ReturnType<typeof login>>;
  try {
    result = await login(deps.policy.current, username, password, now, deps.policy.passwordReference);
  } catch (err) {
    ticket.failed();
    throw err;
  }
  // Name the account only when it exists: a password typed into the username field must not reach the logs.
  const account = result.ok || result.reason !== 'unknown_account' ? username : '(unknown)';
  if (!result.ok) return failed(deps, ticket, result.reason, { client: ip, account, grant: req.grant });
  ticket.succeeded();
  const refresh = req.offline ? { cred: result.credential, maxExpS: result.expiresAtS } : undefined;
  return { ok: true, principal: principalOf(result.account), ...(refresh ? { refresh } : {}) };
}

async function byRefreshToken(deps: TokenServiceDeps, token: string, ip: string, now: number): Promise<Who> {
  const admitted = await admit(deps, undefined, ip, now);
  if (!admitted.ok) return admitted;
  const { ticket } = admitted;
  try {
    const claims = await verifyRefreshToken(deps.settings, token, now);
    const account = deps.policy.current.account(claims.sub);
    if (!account || !credentialStillValid(account, claims.cred, now)) {
      return failed(deps, ticket, 'revoked_refresh_token', { client: ip, account: claims.sub, grant: 'refresh_token' });
    }
    ticket.succeeded();
    return { ok: true, principal: principalOf(account) };
  } catch (err) {
    if (!(err instanceof TokenError)) {
      ticket.failed();
      throw err;
    }
    return failed(deps, ticket, 'bad_refresh_token', { client: ip, grant: 'refresh_token', error: err.reason });
  }
}

function who(deps: TokenServiceDeps, req: TokenRequest, ip: string, now: number): Promise<Who> {
  if (req.grant === 'anonymous') return Promise.resolve({ ok: true, principal: ANONYMOUS });
  if (req.grant === 'refresh_token') return byRefreshToken(deps, req.refreshToken, ip, now);
  return byLogin(deps, req, ip, now);
}

const subjectOf = (p: Principal): string => (p.kind === 'anonymous' ? '' : p.name);

/** What the caller gets: the policy's grants, and for a Kubernetes identity what RBAC allows (throws: API down). */
async function accessFor(deps: TokenServiceDeps, caller: Extract<Who, { ok: true }>, req: TokenRequest): Promise<AccessItem[]> {
  const index = deps.policy.current;
  const byPolicy = grantAccess(index, caller.principal, req.scopes);
  if (!caller.kube || !deps.kubernetes) return byPolicy;
  return unionAccess(byPolicy, await kubeAccess(deps.kubernetes, caller.kube, index.policy.tenancy, req.scopes));
}

/** Answers one token request from client address `ip`. */
export async function answerTokenRequest(deps: TokenServiceDeps, req: TokenRequest, ip: string, now = Date.now()): Promise<TokenReply> {
  const count = (outcome: string): void => deps.metrics.tokens.inc({ grant: req.grant, outcome });
  if (req.service !== undefined && req.service !== deps.settings.service) {
    count(TOKEN_OUTCOMES.badRequest);
    return { status: 400, code: 'UNSUPPORTED', message: 'service does not name this registry' };
  }
  const caller = await who(deps, req, ip, now);
  if (!caller.ok) {
    const outcome = { 429: TOKEN_OUTCOMES.rateLimited, 503: TOKEN_OUTCOMES.unavailable } as Record<number, string>;
    count(outcome[caller.reply.status] ?? TOKEN_OUTCOMES.unauthorized);
    return caller.reply;
  }
  const sub = subjectOf(caller.principal);
  let access: AccessItem[];
  try {
    access = await accessFor(deps, caller, req);
  } catch (err) {
    count(TOKEN_OUTCOMES.unavailable);
    deps.logger.error('Kubernetes SubjectAccessReview failed; login refused', { client: ip, subject: sub, error: (err as Error).message });
    return KUBE_UNAVAILABLE;
  }
  const issued = await issueAccessToken(deps.settings, sub, access, now);
  const body: TokenBody = {
    token: issued.token,
    access_token: issued.token,
    expires_in: issued.exp - issued.iat,
    issued_at: new Date(issued.iat * 1000).toISOString(),
    scope: formatScopes(access),
  };
  if (caller.refresh && !isKubeSubject(sub)) {
    body.refresh_token = (await issueRefreshToken(deps.settings, sub, caller.refresh.cred, now, caller.refresh.maxExpS)).token;
  }
  count(TOKEN_OUTCOMES.issued);
  // winston builds and pipes a line before its level filter drops it: ask first on this hot path
  if (deps.logger.isDebugEnabled()) deps.logger.debug('token issued', { client: ip, subject: sub, grant: req.grant, scope: body.scope });
  return { status: 200, body };
}
