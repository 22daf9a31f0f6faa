/**
 * Decides registry requests. A request passes when its Bearer token is one of ours and valid, its subject is still
 * an active account of the current policy (so a removed or expired robot is refused at once, not when its tokens
 * run out), and every required action is both in the token and allowed by the current policy. Otherwise:
 * - 401 with a challenge (no `error`) when there is no Bearer token;
 * - 401 `error="invalid_token"` for a bad, expired or foreign token, or one whose account is gone;
 * - 401 `error="insufficient_scope"` when a new token could help: the caller is anonymous (it may log in), or the
 *   policy allows what the token lacks;
 * - 403 DENIED when an authenticated caller asks for what the policy refuses it.
 * None of this looks at whether the repository exists: a stranger cannot tell a private repository from a missing one.
 */
import type { Logger } from '../../shared/logger.js';
import { ANONYMOUS, isAccountActive, principalOf, type PolicyIndex, type Principal } from '../../shared/policy-match.js';
import { bearerChallenge, CHALLENGE_ERRORS, realmFor, type ChallengeError } from './challenge.js';
import { policyAllows } from './grant.js';
import type { AuthMetrics } from './metrics.js';
import type { PolicyStore } from './policy-store.js';
import { isKubeSubject } from './kubernetes/access.js';
import { covers, grants } from './scope.js';
import type { VerifiedTokenCache } from './token-cache.js';
import { TokenError, verifyAccessToken, type AccessClaims, type TokenSettings } from './tokens.js';
import type { AccessItem, AuthDecision, AuthRequest, Authorizer } from './types.js';

export interface AuthorizerDeps {
  settings: TokenSettings;
  policy: PolicyStore;
  /** The configured realm ('' derives it from each request's external URL). */
  realm: string;
  cache: VerifiedTokenCache;
  metrics: AuthMetrics;
  logger: Logger;
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer[ \t]+([A-Za-z0-9._~+/-]+=*)[ \t]*$/i.exec(header)?.[1];
}

/**
 * The principal a token's subject stands for now, or undefined when that account is gone or expired. A Kubernetes
 * identity is no account of the policy: what RBAC allowed it at login is in its token, which lives `tokenTtl`.
 */
function principalFor(index: PolicyIndex, sub: string, now: number): Principal | undefined {
  if (sub === '') return ANONYMOUS;
  if (isKubeSubject(sub)) return { kind: 'user', name: sub };
  const account = index.account(sub);
  return isAccountActive(account, now) ? principalOf(account) : undefined;
}

function policyRefuses(index: PolicyIndex, principal: Principal, required: readonly AccessItem[]): boolean {
  return required.some((r) => r.actions.some((a) => !policyAllows(index, principal, r.type, r.name, a)));
}

type Refuse = (status: 401 | 403, decision: string, message: string, error?: ChallengeError) => AuthDecision;

/** A Kubernetes identity may do what its token holds; anything else needs a new token (RBAC may allow it now). */
function kubeDecision(claims: AccessClaims, required: AccessItem[], policy: PolicyStore, principal: Principal, refuse: Refuse, metrics: AuthMetrics): AuthDecision {
  if (!covers(claims.access, required)) return refuse(401, 'insufficient_scope', 'authentication required', CHALLENGE_ERRORS.insufficientScope);
  metrics.decisions.inc({ decision: 'allowed' });
  return {
    ok: true,
    subject: claims.sub,
    mayPull: (repository) => grants(claims.access, 'repository', repository, 'pull') || policy.current.actionsFor(principal, repository).includes('pull'),
  };
}

export function createAuthorizer(deps: AuthorizerDeps): Authorizer {
  const { settings, policy, cache, metrics, logger } = deps;

  const verify = async (token: string, now: number): Promise<AccessClaims | TokenError> => {
    const cached = cache.get(token, now);
    if (cached) return cached;
    try {
      const claims = await verifyAccessToken(settings, token, now);
      cache.set(token, claims);
      return claims;
    } catch (err) {
      if (err instanceof TokenError) return err;
      throw err;
    }
  };

  return {
    async authorize(req: AuthRequest, required: AccessItem[]): Promise<AuthDecision> {
      const now = Date.now();
      const refuse: Refuse = (status, decision, message, error) => {
        metrics.decisions.inc({ decision });
        const realm = realmFor(deps.realm, req.externalUrl);
        const challenge = bearerChallenge({ realm, service: settings.service, required, ...(error ? { error } : {}) });
        const code = status === 401 ? 'UNAUTHORIZED' : 'DENIED';
        return { ok: false, status, code, challenge, message, detail: required };
      };
      const token = bearerToken(req.authorization);
      if (!token) return refuse(401, 'unauthenticated', 'authentication required');
      const claims = await verify(token, now);
      if (claims instanceof TokenError) {
        logger.debug('token refused', { client: req.clientIp, reason: claims.reason });
        return refuse(401, 'invalid_token', 'invalid or expired token', CHALLENGE_ERRORS.invalidToken);
      }
      const index = policy.current;
      const principal = principalFor(index, claims.sub, now);
      if (!principal) return refuse(401, 'invalid_token', 'the account of this token no longer exists or has expired', CHALLENGE_ERRORS.invalidToken);
      if (isKubeSubject(claims.sub)) return kubeDecision(claims, required, policy, principal, refuse, metrics);
      const refused = policyRefuses(index, principal, required);
      if (!refused && covers(claims.access, required)) {
        metrics.decisions.inc({ decision: 'allowed' });
        return {
          ok: true,
          subject: claims.sub,
          mayPull: (repository) => policy.current.actionsFor(principal, repository).includes('pull'),
        };
      }
      if (refused && principal.kind !== 'anonymous') return refuse(403, 'denied', 'requested access to the resource is denied');
      return refuse(401, 'insufficient_scope', 'authentication required', CHALLENGE_ERRORS.insufficientScope);
    },
  };
}
