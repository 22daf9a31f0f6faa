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
import type { PolicyLifecycle } from '../../shared/policy.js';
import type { RegistryMetrics } from '../metrics.js';
import { createAuthorizer } from './authorizer.js';
import { loadKeySet, type KeySet } from './keys.js';
import { createAuthMetrics, type AuthMetrics } from './metrics.js';
import { filePolicySource, followPolicy, type PolicySource } from './policy-source.js';
import { backoffDelay, sleep, WATCH_BACKOFF } from '../../kube/backoff.js';
import { PolicyStore } from './policy-store.js';
import { loginLimiterFor, type LoginAdmitter } from './login-limiter.js';
import { VerifiedTokenCache } from './token-cache.js';
import { createTokenRouter } from './token-router.js';
import type { TokenSettings } from './tokens.js';
import type { Authorizer } from './types.js';
import type { KubeReviews } from './kubernetes/reviews.js';

export interface AuthDeps {
  logger: Logger;
  metrics: RegistryMetrics;
  /** Where the policy comes from; default: `config.policySecret` through the API, else `config.policyFile`, watched. */
  policySource?: PolicySource;
  /** The login limiter to use instead of one of its own (the primary's, shared by `berth serve --workers N`). */
  limiter?: LoginAdmitter;
}

export interface AuthService {
  authorizer: Authorizer;
  /** `GET /token`, `POST /token`, `GET /token/jwks.json`; mount at the app root. */
  router: Router;
  /** The policy in force (its `update` is how another policy source could push text in). */
  policy: PolicyStore;
  keys: KeySet;
  /** False while no policy was ever loaded (the policy Secret unreadable since start): `/readyz` answers 503. */
  ready(): boolean;
  /** The policy's lifecycle section in force (immutable tags, quotas, retention). */
  lifecycle(): readonly PolicyLifecycle[] | undefined;
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

/**
 * The first policy. A policy file that cannot be read or is invalid stops the start (a configuration mistake to see
 * at once). The policy Secret (`retry`) may simply not exist yet, or the registry may not yet be allowed to read
 * it (its Role is being applied): the registry then starts with nothing allowed, not ready, and keeps trying.
 */
async function openPolicy(source: PolicySource, retry: boolean, deps: { logger: Logger; metrics: AuthMetrics }): Promise<{ policy: PolicyStore; pendingRead: boolean }> {
  let text: string;
  try {
    text = await source.read();
  } catch (err) {
    if (!retry) throw new Error(`cannot read the access policy ${source.origin}: ${(err as Error).message}`);
    deps.logger.error('cannot read the access policy; not ready, retrying', { origin: source.origin, error: (err as Error).message });
    return { policy: PolicyStore.pending(deps), pendingRead: true };
  }
  if (!retry) return { policy: PolicyStore.create(text, source.origin, deps), pendingRead: false };
  const policy = PolicyStore.pending(deps);
  const loaded = policy.update(text, source.origin).ok;
  return { policy, pendingRead: !loaded };
}

/** Re-reads the source with backoff (0.5 s doubling to 30 s) until a policy is loaded; the watch may load it first. */
function retryUntilLoaded(source: PolicySource, policy: PolicyStore, logger: Logger): AbortController {
  const stop = new AbortController();
  void (async () => {
    for (let attempt = 1; !policy.loaded && !stop.signal.aborted; attempt++) {
      await sleep(backoffDelay(WATCH_BACKOFF, attempt), stop.signal);
      if (policy.loaded || stop.signal.aborted) break;
      try {
        policy.update(await source.read(), source.origin);
      } catch (err) {
        logger.warn('access policy still unreadable; retrying', { origin: source.origin, attempt, error: (err as Error).message });
      }
    }
  })();
  return stop;
}

/** The TokenReview/SubjectAccessReview client when `auth.kubernetes.enabled` (the Kubernetes client loaded only then). */
async function kubernetesReviews(config: AuthConfig, logger: Logger): Promise<KubeReviews | undefined> {
  const k8s = config.kubernetes;
  if (!k8s?.enabled) return undefined;
  const [{ KubeConfig }, { ApiClient }, { KubeReviews }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../../kube/api-client.js'),
    import('./kubernetes/reviews.js'),
  ]);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const api = await ApiClient.create(kc);
  logger.info('Kubernetes identities accepted at /token', {
    server: kc.getCurrentCluster()?.server,
    audiences: k8s.audiences.length ? k8s.audiences : "(the API server's own)",
    cacheTtlMs: k8s.cacheTtlMs,
  });
  return new KubeReviews(api, { audiences: k8s.audiences, cacheTtlMs: k8s.cacheTtlMs, cacheSize: k8s.cacheSize });
}

export async function createAuth(config: AuthConfig, deps: AuthDeps): Promise<AuthService> {
  const logger = deps.logger.child({ subsystem: 'auth' });
  const metrics = createAuthMetrics(deps.metrics.registry);
  const { keys, created } = await loadKeySet(config.signingKeyFile, config.verificationKeyFiles);
  if (created) logger.info('generated a new token signing key', { file: config.signingKeyFile, kid: keys.signing.kid });
  logger.info('token keys loaded', { signing: keys.signing.kid, alg: keys.signing.alg, verification: [...keys.byKid.keys()] });

  const source = deps.policySource ?? (await defaultPolicySource(config, logger));
  const { policy, pendingRead } = await openPolicy(source, Boolean(config.policySecret), { logger, metrics });
  const follower = followPolicy(source, policy);
  const retry = pendingRead ? retryUntilLoaded(source, policy, logger) : undefined;

  const settings: TokenSettings = {
    issuer: config.issuer,
    service: config.service,
    tokenTtlS: Math.floor(config.tokenTtlMs / 1000),
    keys,
  };
  const limiter = deps.limiter ?? loginLimiterFor(config);
  const authorizer = createAuthorizer({
    settings,
    policy,
    realm: config.realm,
    cache: new VerifiedTokenCache(),
    metrics,
    logger,
  });
  const kubernetes = await kubernetesReviews(config, logger);
  const router = createTokenRouter({ settings, policy, limiter, logger, metrics, ...(kubernetes ? { kubernetes } : {}) }, keys);
  return {
    authorizer,
    router,
    policy,
    keys,
    reloadPolicy: () => follower.reload(),
    lifecycle: () => policy.current.policy.lifecycle,
    ready: () => policy.loaded,
    async close() {
      retry?.abort();
      follower.close();
      kubernetes?.close();
    },
  };
}

export type { PolicySource } from './policy-source.js';
