/**
 * Repository names and references as the registry enforces them: the grammar is in `src/shared/oci-names.ts`;
 * here, the errors a request gets and the tag-or-digest reference.
 */
import { isValidName, isValidTag, MAX_NAME_LENGTH } from '../../shared/oci-names.js';
import { RegistryError } from '../errors.js';
import { parseDigest, type Digest } from './digest.js';

export function requireName(name: string): string {
  if (!isValidName(name)) {
    throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: name.slice(0, MAX_NAME_LENGTH + 1) });
  }
  return name;
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
