/**
 * Digests (`algorithm:encoded`): parsing and validation. sha256 and sha512 are supported; other well-formed
 * algorithms are refused as unsupported.
 */
import { createHash, type Hash } from 'node:crypto';
import { RegistryError } from '../errors.js';

export const SUPPORTED_ALGORITHMS = { sha256: 64, sha512: 128 } as const;
export type Algorithm = keyof typeof SUPPORTED_ALGORITHMS;

export interface Digest {
  algorithm: Algorithm;
  /** Lowercase hex. */
  hex: string;
}

const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Parses a digest; returns undefined when malformed or of an unsupported algorithm. */
export function parseDigest(text: string): Digest | undefined {
  if (text.length > 256 || !GRAMMAR.test(text)) return undefined;
  const i = text.indexOf(':');
  const algorithm = text.slice(0, i);
  const hex = text.slice(i + 1);
  if (!(algorithm in SUPPORTED_ALGORITHMS)) return undefined;
  const len = SUPPORTED_ALGORITHMS[algorithm as Algorithm];
  if (hex.length !== len || !/^[0-9a-f]+$/.test(hex)) return undefined;
  return { algorithm: algorithm as Algorithm, hex };
}

/** Parses a digest or throws DIGEST_INVALID naming it. */
export function requireDigest(text: string | undefined): Digest {
  const d = text === undefined ? undefined : parseDigest(text);
  if (!d) {
    throw new RegistryError(
      'DIGEST_INVALID',
      text === undefined ? 'digest parameter missing' : 'invalid digest or unsupported algorithm',
      text === undefined ? undefined : { digest: text.slice(0, 300) },
    );
  }
  return d;
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

export function newHash(algorithm: Algorithm): Hash {
  return createHash(algorithm);
}

/** The digest of a whole buffer (manifests only: they are capped in size). */
export function digestOf(bytes: Uint8Array, algorithm: Algorithm = 'sha256'): Digest {
  return { algorithm, hex: createHash(algorithm).update(bytes).digest('hex') };
}

export function sameDigest(a: Digest, b: Digest): boolean {
  return a.algorithm === b.algorithm && a.hex === b.hex;
}
