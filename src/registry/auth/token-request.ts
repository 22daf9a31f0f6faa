/**
 * Turns the two forms of token request into one {@link TokenRequest} (pure; no I/O):
 * - `GET /token?service=…&scope=…&scope=…&account=…&offline_token=true&client_id=…`, anonymous or with
 *   `Authorization: Basic` (every client; distribution `token.md`);
 * - `POST /token`, an OAuth2 form: `grant_type=password` with `username`/`password`, or
 *   `grant_type=refresh_token` with `refresh_token`; `scope` space-separated (docker, containerd; `oauth.md`).
 */
import { parseScopes } from './scope.js';
import type { AccessItem } from './types.js';

export interface Credentials {
  username: string;
  password: string;
}

interface Common {
  scopes: AccessItem[];
  /** The `service` asked for, when the client sent one. */
  service: string | undefined;
  clientId: string | undefined;
}

export const GRANTS = {
  anonymous: 'anonymous',
  basic: 'basic',
  password: 'password',
  refreshToken: 'refresh_token',
} as const;
export type Grant = (typeof GRANTS)[keyof typeof GRANTS];

export type TokenRequest = Common &
  (
    | { grant: 'anonymous' }
    | { grant: 'basic' | 'password'; credentials: Credentials; offline: boolean }
    | { grant: 'refresh_token'; refreshToken: string }
  );

export type ParsedTokenRequest = { ok: true; request: TokenRequest } | { ok: false; grant: Grant; message: string };

/** The credentials of an `Authorization: Basic` header; undefined when it is not one or is malformed. */
export function parseBasicAuth(header: string): Credentials | undefined {
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function common(params: URLSearchParams): Common {
  return {
    scopes: parseScopes(params.getAll('scope')),
    service: params.get('service') ?? undefined,
    clientId: params.get('client_id') ?? undefined,
  };
}

/** A `GET /token` request: its query and `Authorization` header. */
export function parseTokenQuery(params: URLSearchParams, authorization: string | undefined): ParsedTokenRequest {
  const base = common(params);
  if (authorization === undefined || authorization.trim() === '') {
    return { ok: true, request: { ...base, grant: GRANTS.anonymous } };
  }
  const credentials = parseBasicAuth(authorization);
  if (!credentials) {
    return { ok: false, grant: GRANTS.basic, message: 'the token endpoint takes Basic credentials or none' };
  }
  const account = params.get('account');
  if (account !== null && account !== '' && account !== credentials.username) {
    return { ok: false, grant: GRANTS.basic, message: 'account does not match the credentials' };
  }
  const offline = params.get('offline_token') === 'true';
  return { ok: true, request: { ...base, grant: GRANTS.basic, credentials, offline } };
}

/** A `POST /token` OAuth2 form. */
export function parseTokenForm(params: URLSearchParams): ParsedTokenRequest {
  const base = common(params);
  const grantType = params.get('grant_type');
  if (grantType === GRANTS.password) {
    const username = params.get('username') ?? '';
    const password = params.get('password') ?? '';
    if (username === '' || password === '') {
      return { ok: false, grant: GRANTS.password, message: 'username and password are required' };
    }
    const offline = params.get('access_type') === 'offline';
    return { ok: true, request: { ...base, grant: GRANTS.password, credentials: { username, password }, offline } };
  }
  if (grantType === GRANTS.refreshToken) {
    const refreshToken = params.get('refresh_token') ?? '';
    if (refreshToken === '') return { ok: false, grant: GRANTS.refreshToken, message: 'refresh_token is required' };
    return { ok: true, request: { ...base, grant: GRANTS.refreshToken, refreshToken } };
  }
  return { ok: false, grant: GRANTS.password, message: 'grant_type must be password or refresh_token' };
}
