/**
 * The `WWW-Authenticate: Bearer …` challenge of a 401, built from data. Every value is quoted (some parsers accept
 * nothing else); several required scopes go space-separated into one `scope` value; `/v2/` has no scope.
 */
import { formatScopes } from './scope.js';
import type { AccessItem } from './types.js';

/** Why a request that carried a token was refused (RFC 6750 error codes). */
export const CHALLENGE_ERRORS = {
  invalidToken: 'invalid_token',
  insufficientScope: 'insufficient_scope',
} as const;
export type ChallengeError = (typeof CHALLENGE_ERRORS)[keyof typeof CHALLENGE_ERRORS];

/** A quoted-string (RFC 9110): backslash-escape `\` and `"`. */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

export interface ChallengeParams {
  realm: string;
  service: string;
  required: readonly AccessItem[];
  error?: ChallengeError;
}

/** `Bearer realm="…",service="…"[,scope="…"][,error="…"]` */
export function bearerChallenge({ realm, service, required, error }: ChallengeParams): string {
  const params = [`realm=${quote(realm)}`, `service=${quote(service)}`];
  const scope = formatScopes(required);
  if (scope !== '') params.push(`scope=${quote(scope)}`);
  if (error) params.push(`error=${quote(error)}`);
  return `Bearer ${params.join(',')}`;
}

/** The token URL: the configured realm, else `<externalUrl>/token`. */
export function realmFor(configuredRealm: string, externalUrl: string): string {
  return configuredRealm !== '' ? configuredRealm : `${externalUrl.replace(/\/+$/, '')}/token`;
}
