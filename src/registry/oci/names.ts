/**
 * Repository names, tags and references, by the grammar of the distribution spec.
 */
import { RegistryError } from '../errors.js';
import { parseDigest, type Digest } from './digest.js';

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Names longer than this are refused: many clients cap `host[:port]/name` at 255 characters. */
export const MAX_NAME_LENGTH = 200;

export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function requireName(name: string): string {
  if (!isValidName(name)) {
    throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: name.slice(0, MAX_NAME_LENGTH + 1) });
  }
  return name;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/** A reference is a tag or a digest (told apart by the colon); anything else is invalid. */
export function parseReference(ref: string): Reference | undefined {
  if (ref.includes(':')) {
    const digest = parseDigest(ref);
    return digest && { kind: 'digest', digest };
  }
  return isValidTag(ref) ? { kind: 'tag', tag: ref } : undefined;
}
