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
import { createHash, KeyObject, randomUUID, sign as cryptoSign, type SignKeyObjectInput } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { KeySet, SigningAlgorithm, SigningKey } from './keys.js';
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

/** The node:crypto digest of each algorithm (EdDSA hashes internally) and the JWS signature encoding. */
const SIGN_PARAMS: Record<SigningAlgorithm, { digest: string | null; dsaEncoding?: 'ieee-p1363' }> = {
  EdDSA: { digest: null },
  RS256: { digest: 'sha256' },
  ES256: { digest: 'sha256', dsaEncoding: 'ieee-p1363' },
  ES384: { digest: 'sha384', dsaEncoding: 'ieee-p1363' },
};

interface Signer {
  /** `base64url(header) + '.'` for a token type. */
  headers: Map<string, string>;
  digest: string | null;
  key: SignKeyObjectInput | KeyObject;
}

/**
 * Signers by signing key: the private key as a node:crypto KeyObject and the encoded headers, made once. Signing
 * with node:crypto's one-shot `sign` is synchronous and several times cheaper per token than WebCrypto's
 * promise-and-threadpool round trip (what jose's SignJWT does); the JWS is the same (RFC 7515 compact form).
 */
const SIGNERS = new WeakMap<SigningKey, Signer>();

function signerOf(signing: SigningKey): Signer {
  let signer = SIGNERS.get(signing);
  if (!signer) {
    const { digest, dsaEncoding } = SIGN_PARAMS[signing.alg];
    const keyObject = KeyObject.from(signing.privateKey);
    signer = { headers: new Map(), digest, key: dsaEncoding ? { key: keyObject, dsaEncoding } : keyObject };
    SIGNERS.set(signing, signer);
  }
  return signer;
}

function encodedHeader(signer: Signer, signing: SigningKey, typ: string): string {
  let header = signer.headers.get(typ);
  if (header === undefined) {
    header = `${Buffer.from(JSON.stringify({ alg: signing.alg, typ, kid: signing.kid })).toString('base64url')}.`;
    signer.headers.set(typ, header);
  }
  return header;
}

/** A compact JWS of `claims` plus iss, aud, iat, nbf, exp and jti, signed with the current signing key. */
function sign(settings: TokenSettings, typ: string, claims: JWTPayload, now: number, ttlS: number) {
  const { signing } = settings.keys;
  const signer = signerOf(signing);
  const iat = Math.floor(now / 1000);
  const payload = { ...claims, iss: settings.issuer, aud: settings.service, iat, nbf: iat, exp: iat + ttlS, jti: randomUUID() };
  const input = `${encodedHeader(signer, signing, typ)}${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = cryptoSign(signer.digest, Buffer.from(input), signer.key).toString('base64url');
  return Promise.resolve({ token: `${input}.${signature}`, iat, exp: iat + ttlS });
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
