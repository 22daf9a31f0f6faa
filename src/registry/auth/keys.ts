/**
 * Token keys: the signing key (a PEM private key, generated on first start when absent) and every key a token may
 * be verified with (the signing key's public half plus older keys kept during a rotation). Each key's algorithm is
 * fixed by its type, and its `kid` is its RFC 7638 JWK thumbprint (or the `kid` a JWKS file gives it).
 *
 * Generated keys are Ed25519 (EdDSA): about four times faster to sign with than RSA-2048 through jose here (the
 * token endpoint must sustain thousands of tokens a second on two cores), small tokens, no parameter choices to
 * get wrong. Distribution v3 accepts EdDSA and can trust our keys through the published JWKS (`auth.token.jwks`),
 * whose `kid`s it looks up as given. RSA (RS256, ≥ 2048 bits) and EC P-256/P-384 keys supplied by the operator are
 * accepted too: an RSA key's RFC 7638 thumbprint is also what Distribution v3 computes from a certificate bundle.
 */
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';

export type SigningAlgorithm = 'EdDSA' | 'RS256' | 'ES256' | 'ES384';

export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
  /** The public key as published in the JWKS. */
  jwk: JWK;
}

export interface SigningKey extends VerificationKey {
  privateKey: CryptoKey;
}

export interface KeySet {
  signing: SigningKey;
  /** Every key a token may be signed with, by `kid` (the signing key included). */
  byKid: ReadonlyMap<string, VerificationKey>;
  jwks: { keys: JWK[] };
}

/** A key file that cannot be used, naming the file. */
export class KeyError extends Error {
  constructor(file: string, problem: string) {
    super(`key file ${file}: ${problem}`);
    this.name = 'KeyError';
  }
}

/** The one algorithm a key is used with; symmetric and weak keys are refused. */
export function algorithmFor(key: KeyObject): SigningAlgorithm | undefined {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
      return (details?.modulusLength ?? 0) >= 2048 ? 'RS256' : undefined;
    case 'ec':
      return details?.namedCurve === 'prime256v1' ? 'ES256' : details?.namedCurve === 'secp384r1' ? 'ES384' : undefined;
    default:
      return undefined;
  }
}

const USABLE = 'use an Ed25519, RSA (≥ 2048 bits), EC P-256 or EC P-384 key';

async function verificationKeyFrom(publicKey: KeyObject, file: string, kid?: string): Promise<VerificationKey> {
  const alg = algorithmFor(publicKey);
  if (!alg) throw new KeyError(file, `unsupported key type; ${USABLE}`);
  const exported = publicKey.export({ format: 'jwk' }) as JWK;
  const id = kid ?? (await calculateJwkThumbprint(exported));
  const key = (await importJWK(exported, alg)) as CryptoKey;
  return { kid: id, alg, key, jwk: { ...exported, kid: id, alg, use: 'sig' } };
}

/** Writes a new Ed25519 key unless the file exists; two processes racing both end up using the same key. */
async function createKeyFileIfAbsent(file: string): Promise<boolean> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(file), `.signing-key-${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, pem, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file); // fails with EEXIST if another process got there first
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    // a filesystem without hard links: an exclusive create is still race-free, if not atomic
    return writeFile(file, pem, { mode: 0o600, flag: 'wx' }).then(
      () => true,
      (e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? false : Promise.reject(e)),
    );
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Reads (creating when absent) the signing key. `created` says whether this call generated it. */
export async function loadSigningKey(file: string, create = true): Promise<{ key: SigningKey; created: boolean }> {
  let created = false;
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw new KeyError(file, (err as Error).message);
    created = await createKeyFileIfAbsent(file);
    pem = await readFile(file, 'utf8');
  }
  let privateKeyObject: KeyObject;
  try {
    privateKeyObject = createPrivateKey(pem);
  } catch (err) {
    throw new KeyError(file, `not a PEM private key (${(err as Error).message})`);
  }
  const pub = await verificationKeyFrom(createPublicKey(privateKeyObject), file);
  const pkcs8 = privateKeyObject.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { key: { ...pub, privateKey: await importPKCS8(pkcs8, pub.alg) }, created };
}

/** Public members only: a JWKS entry must never turn into a private key here. */
function publicJwk(jwk: JWK): JWK {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK;
}

async function keysFromJwks(text: string, file: string): Promise<VerificationKey[]> {
  let parsed: { keys?: JWK[] } & JWK;
  try {
    parsed = JSON.parse(text) as { keys?: JWK[] } & JWK;
  } catch {
    throw new KeyError(file, 'not valid JSON');
  }
  const jwks = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
  return Promise.all(
    jwks.map(async (jwk) => {
      if (jwk.kty === 'oct') throw new KeyError(file, 'symmetric (oct) keys are never accepted');
      let keyObject: KeyObject;
      try {
        keyObject = createPublicKey({ key: publicJwk(jwk) as import('node:crypto').JsonWebKey, format: 'jwk' });
      } catch (err) {
        throw new KeyError(file, `bad JWK (${(err as Error).message})`);
      }
      return verificationKeyFrom(keyObject, file, typeof jwk.kid === 'string' ? jwk.kid : undefined);
    }),
  );
}

function publicKeyFromPem(block: string, file: string): KeyObject {
  try {
    if (block.includes('CERTIFICATE')) return new X509Certificate(block).publicKey;
    return createPublicKey(block); // public keys, or private keys whose public half we take
  } catch (err) {
    throw new KeyError(file, `unreadable PEM block (${(err as Error).message})`);
  }
}

/** Every key in a verification key file: PEM public keys, certificates or private keys, or a JWKS (JSON). */
export async function loadVerificationKeys(file: string): Promise<VerificationKey[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new KeyError(file, (err as Error).message);
  }
  if (text.trimStart().startsWith('{')) return keysFromJwks(text, file);
  const blocks = text.match(/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/g) ?? [];
  if (blocks.length === 0) throw new KeyError(file, 'holds no PEM block and is not a JWKS');
  return Promise.all(blocks.map((b) => verificationKeyFrom(publicKeyFromPem(b, file), file)));
}

/** The signing key plus extra verification keys, indexed by `kid`; the JWKS lists them all. */
export function buildKeySet(signing: SigningKey, extra: readonly VerificationKey[]): KeySet {
  const byKid = new Map<string, VerificationKey>([[signing.kid, signing]]);
  for (const k of extra) if (!byKid.has(k.kid)) byKid.set(k.kid, k);
  return { signing, byKid, jwks: { keys: [...byKid.values()].map((k) => k.jwk) } };
}

/** Loads everything the auth config names. */
export async function loadKeySet(signingKeyFile: string, verificationKeyFiles: readonly string[]) {
  const { key, created } = await loadSigningKey(signingKeyFile);
  const extra = (await Promise.all(verificationKeyFiles.map(loadVerificationKeys))).flat();
  return { keys: buildKeySet(key, extra), created };
}
