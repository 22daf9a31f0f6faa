/**
 * The contract between the HTTP layer and authorization. The HTTP layer computes what a route needs
 * (`requiredAccess(route)`, a pure function) and asks an {@link Authorizer}; it never looks inside tokens.
 */

/** One access item, as in the Docker token `access` claim and in scope strings. */
export interface AccessItem {
  /** `repository` or `registry` (for `registry:catalog:*`). */
  type: string;
  /** Repository name (or `catalog`). */
  name: string;
  /** `pull`, `push`, `delete`, or `*`. */
  actions: string[];
}

/** Request facts an authorizer may look at. */
export interface AuthRequest {
  /** The raw `Authorization` header, if any. */
  authorization: string | undefined;
  /** The client's address, for rate limiting. */
  clientIp: string;
  /** The registry's external base URL for this request (`https://host`), for the token realm. */
  externalUrl: string;
}

export type AuthDecision =
  | {
      ok: true;
      /** The authenticated subject ("" when anonymous). */
      subject: string;
      /** Whether the caller may pull a repository by the current policy (catalog filtering, mount without from). */
      mayPull(repository: string): boolean;
    }
  | {
      ok: false;
      /**
       * 401 UNAUTHORIZED: no valid token, or one without the access (a new token might help). 403 DENIED: an
       * authenticated caller whom the current policy refuses (a new token would not help).
       */
      status: 401 | 403;
      /** The whole `WWW-Authenticate` header value (meaningful with 401; harmless with 403). */
      challenge: string;
      /** OCI error code for the body. */
      code: 'UNAUTHORIZED' | 'DENIED';
      message: string;
      /** Error detail: the access that was required. */
      detail: AccessItem[];
    };

export interface Authorizer {
  /** Decides a request that needs `required` (empty: any valid caller, as for `GET /v2/`). */
  authorize(req: AuthRequest, required: AccessItem[]): Promise<AuthDecision>;
}

/** The authorizer of a registry without auth: everyone may do everything. */
export const allowAll: Authorizer = {
  async authorize() {
    return { ok: true, subject: '', mayPull: () => true };
  },
};
