/**
 * Signing and verifying our JWTs. Access tokens follow distribution's `jwt.md` (`iss`, `sub`, `aud`, `exp`, `nbf`,
 * `iat`, `jti`, `access`; `typ: JWT` and `kid` in the header). Refresh tokens (the docker CLI's "identity token")
 * carry a different `typ`, no `access`, and `cred`: a tag of the credential they were issued for, so changing a
 * password or rotating a robot secret revokes them.
 *
 * Verification trusts nothing in the token to pick a key: the `kid` must be one of ours, the `alg` must be the one
 * that key is used with (so no `none`, and no HMAC keyed with a public key), then signature, `typ`, issuer, audience
 * and `exp`/`nbf` with {@link CLOCK_LEEWAY_S} of leeway.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { KeySet } from './keys.js';
import { isAccessClaim } from './scope.js';
import type { AccessItem } from './types.js';

/** Leeway for clock differences when checking `exp` and `nbf`. */
export const CLOCK_LEEWAY_S = 60;
/** How long a refresh token (docker's stored identity token) stays valid. */
export const REFRESH_TOKEN_TTL_S = 90 * 24 * 3600;

export const TOKEN_TYPES = { access: 'JWT', refresh: 'berth-refresh+jwt' } as const;

export interface TokenSettings {
  issuer: string;
  /** The audience: the registry's `service` name. */
  service: string;
  tokenTtlS: number;
  keys: KeySet;
}

export interface AccessClaims {
  sub: string;
  access: AccessItem[];
  /** Seconds since the epoch. */
  exp: number;
  nbf: number;
  jti: string;
}

export interface RefreshClaims {
  sub: string;
  cred: string;
  exp: number;
}

/** A token that failed verification; `reason` is for logs and metrics, never for the client. */
export class TokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
    this.name = 'TokenError';
  }
}

/** A short tag of a stored credential (a hash of its hash), bound into refresh tokens. */
export function credentialTag(storedHash: string): string {
  return createHash('sha256').update(`berth-cred\n${storedHash}`).digest('base64url').slice(0, 22);
}

async function sign(settings: TokenSettings, typ: string, claims: JWTPayload, now: number, ttlS: number) {
  const { signing } = settings.keys;
  const iat = Math.floor(now / 1000);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: signing.alg, typ, kid: signing.kid })
    .setIssuer(settings.issuer)
    .setAudience(settings.service)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ttlS)
    .setJti(randomUUID())
    .sign(signing.privateKey);
  return { token, iat, exp: iat + ttlS };
}

/** Signs an access token for `sub` ("" when anonymous) holding `access`. */
export function issueAccessToken(settings: TokenSettings, sub: string, access: AccessItem[], now = Date.now()) {
  return sign(settings, TOKEN_TYPES.access, { sub, access }, now, settings.tokenTtlS);
}

/** Signs a refresh token bound to `sub`, our audience and the credential tag `cred`; `maxExpS` caps its life. */
export function issueRefreshToken(settings: TokenSettings, sub: string, cred: string, now = Date.now(), maxExpS?: number) {
  const ttl = Math.min(REFRESH_TOKEN_TTL_S, maxExpS === undefined ? Infinity : maxExpS - Math.floor(now / 1000));
  return sign(settings, TOKEN_TYPES.refresh, { sub, cred }, now, Math.max(1, ttl));
}

async function verify(settings: TokenSettings, token: string, typ: string, now: number): Promise<JWTPayload> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new TokenError('malformed');
  }
  const key = typeof kid === 'string' ? settings.keys.byKid.get(kid) : undefined;
  if (!key) throw new TokenError('unknown key id');
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: settings.issuer,
      audience: settings.service,
      typ,
      clockTolerance: CLOCK_LEEWAY_S,
      currentDate: new Date(now),
      requiredClaims: ['sub', 'exp', 'nbf', 'iat', 'jti'],
    });
    if (typeof payload.sub !== 'string') throw new TokenError('sub is not a string');
    return payload;
  } catch (err) {
    if (err instanceof TokenError) throw err;
    throw new TokenError((err as { code?: string }).code ?? 'verification failed');
  }
}

/** Verifies an access token; throws {@link TokenError}. */
export async function verifyAccessToken(settings: TokenSettings, token: string, now = Date.now()): Promise<AccessClaims> {
  const p = await verify(settings, token, TOKEN_TYPES.access, now);
  if (!isAccessClaim(p.access)) throw new TokenError('access claim malformed');
  return { sub: p.sub!, access: p.access, exp: p.exp!, nbf: p.nbf!, jti: p.jti! };
}

/** Verifies a refresh token; throws {@link TokenError}. */
export async function verifyRefreshToken(settings: TokenSettings, token: string, now = Date.now()): Promise<RefreshClaims> {
  const p = await verify(settings, token, TOKEN_TYPES.refresh, now);
  if (typeof p.cred !== 'string') throw new TokenError('cred claim missing');
  return { sub: p.sub!, cred: p.cred, exp: p.exp! };
}
