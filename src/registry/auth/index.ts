/**
 * The embedded token service, composed from the auth config: keys (the signing key generated on first start when
 * absent), the access policy (loaded now, then followed for changes), the token endpoint and the authorizer the
 * HTTP layer asks about every `/v2` request.
 *
 * @example
 * ```ts
 * const auth = await createAuth(config.auth, { logger, metrics });
 * app.use(auth.router);                       // GET/POST /token, GET /token/jwks.json
 * const decision = await auth.authorizer.authorize(request, requiredAccess(route, method));
 * await auth.close();
 * ```
 */
import type { Router } from 'express';
import type { Logger } from '../../shared/logger.js';
import type { AuthConfig } from '../../shared/registry-config.js';
import type { RegistryMetrics } from '../metrics.js';
import { createAuthorizer } from './authorizer.js';
import { loadKeySet, type KeySet } from './keys.js';
import { createAuthMetrics } from './metrics.js';
import { filePolicySource, followPolicy, type PolicySource } from './policy-source.js';
import { PolicyStore } from './policy-store.js';
import { LoginLimiter } from './login-limiter.js';
import { VerifiedTokenCache } from './token-cache.js';
import { createTokenRouter } from './token-router.js';
import type { TokenSettings } from './tokens.js';
import type { Authorizer } from './types.js';

export interface AuthDeps {
  logger: Logger;
  metrics: RegistryMetrics;
  /** Where the policy comes from; default: `config.policySecret` through the API, else `config.policyFile`, watched. */
  policySource?: PolicySource;
}

export interface AuthService {
  authorizer: Authorizer;
  /** `GET /token`, `POST /token`, `GET /token/jwks.json`; mount at the app root. */
  router: Router;
  /** The policy in force (its `update` is how another policy source could push text in). */
  policy: PolicyStore;
  keys: KeySet;
  /** Re-reads the policy source now (tests, signals). */
  reloadPolicy(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The policy file, or in a cluster the policy Secret watched through the API (loaded only then, so a standalone
 * registry never loads the Kubernetes client).
 */
async function defaultPolicySource(config: AuthConfig, logger: Logger): Promise<PolicySource> {
  if (!config.policySecret) return filePolicySource(config.policyFile, logger);
  const { kubernetesPolicySource } = await import('./policy-source-k8s.js');
  return kubernetesPolicySource(config.policySecret, logger);
}

export async function createAuth(config: AuthConfig, deps: AuthDeps): Promise<AuthService> {
  const logger = deps.logger.child({ subsystem: 'auth' });
  const metrics = createAuthMetrics(deps.metrics.registry);
  const { keys, created } = await loadKeySet(config.signingKeyFile, config.verificationKeyFiles);
  if (created) logger.info('generated a new token signing key', { file: config.signingKeyFile, kid: keys.signing.kid });
  logger.info('token keys loaded', { signing: keys.signing.kid, alg: keys.signing.alg, verification: [...keys.byKid.keys()] });

  const source = deps.policySource ?? (await defaultPolicySource(config, logger));
  let text: string;
  try {
    text = await source.read();
  } catch (err) {
    throw new Error(`cannot read the access policy ${source.origin}: ${(err as Error).message}`);
  }
  const policy = PolicyStore.create(text, source.origin, { logger, metrics });
  const follower = followPolicy(source, policy);

  const settings: TokenSettings = {
    issuer: config.issuer,
    service: config.service,
    tokenTtlS: Math.floor(config.tokenTtlMs / 1000),
    keys,
  };
  const limiter = new LoginLimiter({
    failuresPerMinute: config.failedLoginsPerMinute,
    maxConcurrentPerAddress: config.maxConcurrentLoginsPerAddress,
    maxConcurrentPerAccount: config.maxConcurrentLoginsPerAccount,
    lockoutMaxMs: config.loginLockoutMaxMs,
  });
  const authorizer = createAuthorizer({
    settings,
    policy,
    realm: config.realm,
    cache: new VerifiedTokenCache(),
    metrics,
    logger,
  });
  const router = createTokenRouter({ settings, policy, limiter, logger, metrics }, keys);
  return {
    authorizer,
    router,
    policy,
    keys,
    reloadPolicy: () => follower.reload(),
    async close() {
      follower.close();
    },
  };
}

export type { PolicySource } from './policy-source.js';
