/**
 * Errors from the Kubernetes API, and the pure classification the controller runtime acts on.
 */
import type { KubeStatus } from './objects.js';

/** An API answer other than 2xx, or a request that never got an answer (status 0). */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the request failed before a response (connection refused, reset, timeout). */
    readonly status: number,
    /** The Status reason (`NotFound`, `Conflict`, `Invalid`, …) when the server sent one. */
    readonly reason: string,
    message: string,
    readonly verb: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Builds the error from a response body (a metav1.Status when the API server answered). */
  static fromResponse(status: number, body: string, verb: string, path: string): ApiError {
    let parsed: KubeStatus | undefined;
    try {
      parsed = JSON.parse(body) as KubeStatus;
    } catch {
      parsed = undefined;
    }
    const message = parsed?.message || body.slice(0, 500) || `HTTP ${status}`;
    return new ApiError(status, parsed?.reason ?? '', message, verb, path);
  }
}

/** What a caller should do about a failed API call. */
export const FAILURE_KINDS = {
  /** Try again later with backoff: the server or the network had a problem, or a write raced another one. */
  retry: 'retry',
  /** The request itself is wrong (invalid object, bad request): retrying the same request cannot succeed. */
  invalid: 'invalid',
  /** Not allowed by RBAC or admission; may change when an administrator fixes it, so retry slowly. */
  forbidden: 'forbidden',
  /** The object does not exist. */
  notFound: 'notFound',
  /** The object already exists (create). */
  exists: 'exists',
} as const;
export type FailureKind = (typeof FAILURE_KINDS)[keyof typeof FAILURE_KINDS];

/** Classifies any error thrown by an API call. */
export function classifyFailure(err: unknown): FailureKind {
  if (!(err instanceof ApiError)) return FAILURE_KINDS.retry;
  if (err.status === 404) return FAILURE_KINDS.notFound;
  if (err.status === 409 && err.reason === 'AlreadyExists') return FAILURE_KINDS.exists;
  if (err.status === 403) return FAILURE_KINDS.forbidden;
  if (err.status === 400 || err.status === 422 || err.status === 413 || err.status === 415) {
    return FAILURE_KINDS.invalid;
  }
  return FAILURE_KINDS.retry;
}

/** Whether an error is an API answer with this status. */
export function hasStatus(err: unknown, status: number): boolean {
  return err instanceof ApiError && err.status === status;
}
