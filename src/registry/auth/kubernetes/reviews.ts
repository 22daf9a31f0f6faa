/**
 * TokenReview and SubjectAccessReview through the Kubernetes API, each answer cached briefly (review-cache.ts: a
 * bounded LRU with a TTL, misses coalesced, entries in use refreshed ahead), so a revoked RoleBinding stops working
 * within the TTL while a burst of logins costs one round trip. Only answers are cached: an API failure is thrown
 * (the caller fails closed) and asked again next time. Tokens are cached under their SHA-256, never kept or logged
 * as text.
 */
import { createHash } from 'node:crypto';
import type { ApiClient } from '../../../kube/api-client.js';
import type { ReviewTarget } from './governing.js';
import { ReviewCache } from './review-cache.js';

/** The authenticated user of a token, as the API server reports it. */
export interface KubeUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type Authentication = { ok: true; user: KubeUser } | { ok: false; reason: string };

export interface ReviewOptions {
  /** Audiences the token must be valid for; empty: the API server's own (an explicit opt-in in the config). */
  audiences: readonly string[];
  cacheTtlMs: number;
  cacheSize: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** The group and resource Berth's RBAC verbs (`pull`, `push`, `delete`) apply to. */
export const REPOSITORY_RESOURCE = { group: 'berth.dev', resource: 'repositories' } as const;

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: KubeUser;
  audiences?: string[];
  error?: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Whether a TokenReview answer authenticates the token for one of `audiences` (pure). */
export function authenticationOf(status: TokenReviewStatus | undefined, audiences: readonly string[]): Authentication {
  if (!status?.authenticated || !status.user?.username) return { ok: false, reason: status?.error ? 'token_rejected' : 'token_not_authenticated' };
  if (audiences.length > 0 && !(status.audiences ?? []).some((a) => audiences.includes(a))) return { ok: false, reason: 'token_audience' };
  return { ok: true, user: status.user };
}

export class KubeReviews {
  readonly #tokens: ReviewCache<Authentication>;
  readonly #access: ReviewCache<boolean>;

  constructor(
    private readonly api: ApiClient,
    private readonly options: ReviewOptions,
  ) {
    this.#tokens = new ReviewCache(options.cacheTtlMs, options.cacheSize);
    this.#access = new ReviewCache(options.cacheTtlMs, options.cacheSize);
  }

  /** Who the token stands for; throws when the API cannot answer. */
  async authenticate(token: string): Promise<Authentication> {
    const key = sha256(token);
    return this.#tokens.get(key, () => this.#reviewToken(token));
  }

  async #reviewToken(token: string): Promise<Authentication> {
    const spec = this.options.audiences.length ? { token, audiences: this.options.audiences } : { token };
    const review = await this.api.request<{ status?: TokenReviewStatus }>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec },
      timeoutMs: this.options.timeoutMs ?? 5_000,
    });
    return authenticationOf(review.status, this.options.audiences);
  }

  /** Whether RBAC lets `user` perform `verb` on the repository at `target`; throws when the API cannot answer. */
  async allowed(user: KubeUser, target: ReviewTarget, verb: string): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, target.namespace, target.name, verb]);
    return this.#access.get(key, () => this.#reviewAccess(user, target, verb));
  }

  async #reviewAccess(user: KubeUser, target: ReviewTarget, verb: string): Promise<boolean> {
    const review = await this.api.request<{ status?: { allowed?: boolean } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups ?? [],
          ...(user.extra ? { extra: user.extra } : {}),
          resourceAttributes: { ...REPOSITORY_RESOURCE, verb, namespace: target.namespace, ...(target.name ? { name: target.name } : {}) },
        },
      },
      timeoutMs: this.options.timeoutMs ?? 5_000,
    });
    return review.status?.allowed === true;
  }

  close(): void {
    this.api.close();
  }
}
