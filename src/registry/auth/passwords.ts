/**
 * User passwords: hashed with scrypt (Node's native implementation, off the main thread) in the PHC-style string
 * `$scrypt$ln=15,r=8,p=3$<salt>$<hash>`; bcrypt hashes from htpasswd files (`$2a$`, `$2b$`, `$2y$`) are verified
 * with bcryptjs. The default cost is one of OWASP's equivalent scrypt settings (N=2^15, r=8, p=3): 32 MiB of memory
 * per check, about 0.2 s here; at most {@link MAX_CONCURRENT_CHECKS} checks run at once so a burst of logins cannot
 * take the thread pool (shared with file I/O) or memory.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { createLimiter } from '../../shared/concurrency.js';
import { PASSWORD_HASH } from '../../shared/policy.js';

export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  ln: number;
  r: number;
  p: number;
}

export const SCRYPT_DEFAULTS: ScryptParams = { ln: 15, r: 8, p: 3 };
/** Parameters outside these bounds are refused when verifying (a hostile hash must not exhaust memory). */
const BOUNDS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const;
const KEY_LENGTH = 32;
/** Passwords longer than this are refused outright. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_CONCURRENT_CHECKS = 2;

function scryptAsync(password: string, salt: Buffer, keylen: number, { ln, r, p }: ScryptParams): Promise<Buffer> {
  const N = 2 ** ln;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');

/** A scrypt hash of `password` with a random salt, for the policy's `passwordHash`. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

const gate = createLimiter(MAX_CONCURRENT_CHECKS);

function inBounds(params: ScryptParams): boolean {
  return (Object.keys(BOUNDS) as Array<keyof ScryptParams>).every(
    (k) => params[k] >= BOUNDS[k][0] && params[k] <= BOUNDS[k][1],
  );
}

async function verifyScrypt(password: string, m: RegExpExecArray): Promise<boolean> {
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!inBounds(params)) return false;
  const salt = Buffer.from(m[4]!, 'base64');
  const expected = Buffer.from(m[5]!, 'base64');
  if (expected.length < 16 || expected.length > 64) return false;
  const actual = await scryptAsync(password, salt, expected.length, params);
  return timingSafeEqual(actual, expected);
}

/** Whether `password` matches a stored scrypt or bcrypt hash (constant-time comparison either way). */
export function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return Promise.resolve(false);
  const m = PASSWORD_HASH.scrypt.exec(hash);
  if (m) return gate(() => verifyScrypt(password, m));
  if (PASSWORD_HASH.bcrypt.test(hash)) return gate(() => bcrypt.compare(password, hash));
  return Promise.resolve(false);
}

/**
 * The cost part of a stored hash (`$scrypt$ln=15,r=8,p=3$`, `$2y$10$`), or undefined when it is neither: two
 * hashes with the same cost take the same time to check.
 */
export function costOf(hash: string): string | undefined {
  const m = PASSWORD_HASH.scrypt.exec(hash);
  if (m) return `$scrypt$ln=${m[1]},r=${m[2]},p=${m[3]}$`;
  if (PASSWORD_HASH.bcrypt.test(hash)) return hash.slice(0, 7);
  return undefined;
}

const NOBODY = 'berth-no-such-account';
/** Dummy hashes by cost; a handful at most (one per cost found in a policy). */
const dummies = new Map<string, Promise<string>>();

function makeDummy(like: string | undefined): Promise<string> {
  const bcryptCost = like === undefined ? undefined : PASSWORD_HASH.bcrypt.exec(like)?.[1];
  if (bcryptCost !== undefined) return bcrypt.hash(NOBODY, Math.min(Number(bcryptCost), 20));
  const m = like === undefined ? null : PASSWORD_HASH.scrypt.exec(like);
  const params = m ? { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) } : SCRYPT_DEFAULTS;
  return hashPassword(NOBODY, inBounds(params) ? params : SCRYPT_DEFAULTS);
}

/** A hash of a password nobody has, with the scheme and cost of `like` (scrypt defaults when absent or foreign). */
export function dummyHashLike(like: string | undefined): Promise<string> {
  const cost = (like !== undefined && costOf(like)) || 'default';
  let dummy = dummies.get(cost);
  if (!dummy) {
    dummy = makeDummy(cost === 'default' ? undefined : like);
    dummies.set(cost, dummy);
  }
  return dummy;
}

/**
 * Spends as long as checking a real password of the same cost as `like` (a user's hash from the policy), then
 * answers false: a login for an account that does not exist must not return measurably sooner or later than one
 * with a wrong password. The same early refusals apply (empty or overlong password).
 */
export async function verifyAgainstNothing(password: string, like?: string): Promise<false> {
  await verifyPassword(password, await dummyHashLike(like));
  return false;
}
