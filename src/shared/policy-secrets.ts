/**
 * Robot secrets: 256 random bits, stored in the policy only as a SHA-256 hash. A fast hash is the right tool here
 * (unlike for human passwords): nobody can guess 256 random bits, so slowing down each guess buys nothing, and the
 * token endpoint stays fast for the kubelet and CI that log in as robots many times a minute.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every secret we generate starts with this, so secret scanners and people can recognise one. */
export const ROBOT_SECRET_PREFIX = 'berth_';

/** A presented robot secret shorter than this is refused without looking further (ours are 49 characters). */
export const MIN_ROBOT_SECRET_LENGTH = 32;

/** A new robot secret: `berth_` + 32 random bytes in base64url (49 characters). */
export function generateRobotSecret(): string {
  return ROBOT_SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** The policy form of a secret: `sha256:<hex>`. */
export function hashRobotSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** Whether `secret` matches a `sha256:<hex>` hash, compared in constant time. */
export function robotSecretMatches(secret: string, hash: string): boolean {
  if (secret.length < MIN_ROBOT_SECRET_LENGTH) return false;
  const expected = Buffer.from(hash.slice('sha256:'.length), 'hex');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
