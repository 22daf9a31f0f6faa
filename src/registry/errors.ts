/**
 * The one OCI error catalog: every code with its HTTP status and default message, and the domain error that lower
 * layers throw. The HTTP error handler is the only place that turns these into responses.
 */
export const ERROR_CATALOG = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  MANIFEST_TOO_LARGE: { status: 413, message: 'manifest too large' },
  UNKNOWN: { status: 500, message: 'unknown error' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The OCI error body: `{"errors":[{"code","message","detail"}]}`. */
export interface ErrorBody {
  errors: Array<{ code: string; message: string; detail?: unknown }>;
}

/**
 * A domain error with an OCI code; `status` overrides the catalog's (e.g. 416 for an upload range error);
 * `headers` go on the error response (`WWW-Authenticate`, `Retry-After`, `Cache-Control`).
 */
export class RegistryError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly detail?: unknown,
    status?: number,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message ?? ERROR_CATALOG[code].message);
    this.name = 'RegistryError';
    this.status = status ?? ERROR_CATALOG[code].status;
  }
}

/**
 * A resource bound that was hit (issue 9): `detail.limit` names the config field, `metric` is the
 * `berth_http_limit_hits_total{limit}` label the error handler counts it under.
 */
export class BoundError extends RegistryError {
  constructor(
    code: ErrorCode,
    readonly field: string,
    readonly metric: string,
    message: string,
    status: number,
    extra: Record<string, unknown> = {},
  ) {
    super(code, message, { limit: field, ...extra }, status);
    this.name = 'BoundError';
  }
}

/** The wire code: MANIFEST_TOO_LARGE is our name for a 413; the spec's code for it is MANIFEST_INVALID. */
export function wireCode(code: ErrorCode): string {
  return code === 'MANIFEST_TOO_LARGE' ? 'MANIFEST_INVALID' : code;
}

export function errorBody(errors: RegistryError[]): ErrorBody {
  return {
    errors: errors.map((e) => ({
      code: wireCode(e.code),
      message: e.message,
      ...(e.detail === undefined ? {} : { detail: e.detail }),
    })),
  };
}
