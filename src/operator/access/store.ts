/**
 * The credential store of a Registry: the operator's memory of every robot secret it issued, kept as a Secret in
 * the Registry's namespace (owned by the Registry, so it goes with it). The access policy holds only hashes; the
 * store holds the secrets themselves, so a pull Secret deleted or edited by hand is put back exactly, and a rotation
 * survives an operator restart at any step. Also remembers which `berth.dev/rotate` request of each Repository
 * was handled. Pure: parse and serialise; serialising the same store always gives the same text.
 */
import { canonicalJson } from '../../shared/canonical-json.js';

/** One secret of a robot. */
export interface Credential {
  secret: string;
  /** RFC 3339: when it was minted (and written to the store, just before the policy). */
  issuedAt: string;
  /** RFC 3339: set when it was replaced; it stops logging in at this time (the end of the overlap). */
  retiresAt?: string;
}

export const ROBOT_KINDS = { pull: 'pull', push: 'push' } as const;
export type RobotKind = (typeof ROBOT_KINDS)[keyof typeof ROBOT_KINDS];

export interface StoredRobot {
  kind: RobotKind;
  /** Pull robots: the namespace they serve. Push robots: the Repository's namespace. */
  namespace: string;
  /** Push robots: the Repository's name. */
  repository?: string;
  current: Credential;
  /** Replaced secrets still inside their overlap window, oldest first. */
  previous: Credential[];
  /** RFC 3339: the last rotation (absent until the first one). */
  rotatedAt?: string;
}

export interface CredentialStore {
  version: 1;
  /** By robot (account) name. */
  robots: Record<string, StoredRobot>;
  /** By Repository uid: the value of its `berth.dev/rotate` annotation that was last acted on ('' for none). */
  rotateRequests: Record<string, string>;
  /**
   * The key of the ownership proofs on the Secrets written for this Registry (`ownership.ts`): only the operator
   * reads the store, so only it can put a valid proof on a Secret. Absent until first needed.
   */
  markerKey?: string;
}

export function emptyStore(): CredentialStore {
  return { version: 1, robots: {}, rotateRequests: {} };
}

/** The key of the store inside its Secret. */
export const STORE_KEY = 'robots.json';

function isCredential(c: unknown): c is Credential {
  const o = c as Credential;
  return typeof o === 'object' && o !== null && typeof o.secret === 'string' && typeof o.issuedAt === 'string';
}

function isRobot(r: unknown): r is StoredRobot {
  const o = r as StoredRobot;
  return (
    typeof o === 'object' &&
    o !== null &&
    (o.kind === 'pull' || o.kind === 'push') &&
    typeof o.namespace === 'string' &&
    isCredential(o.current) &&
    Array.isArray(o.previous) &&
    o.previous.every(isCredential)
  );
}

/**
 * Reads the store text; throws an Error saying what is wrong when the text is not a store (the caller decides
 * whether to start over: every robot then gets a new secret).
 */
export function parseStore(text: string | undefined): CredentialStore {
  if (text === undefined || text.trim() === '') return emptyStore();
  const raw = JSON.parse(text) as Partial<CredentialStore>;
  if (raw.version !== 1 || typeof raw.robots !== 'object' || raw.robots === null) throw new Error('not a version 1 credential store');
  for (const [name, robot] of Object.entries(raw.robots)) {
    if (!isRobot(robot)) throw new Error(`robot ${name} is malformed`);
  }
  const requests = raw.rotateRequests ?? {};
  if (typeof requests !== 'object' || Object.values(requests).some((v) => typeof v !== 'string')) {
    throw new Error('rotateRequests is malformed');
  }
  if (raw.markerKey !== undefined && typeof raw.markerKey !== 'string') throw new Error('markerKey is malformed');
  return { version: 1, robots: raw.robots, rotateRequests: requests, ...(raw.markerKey ? { markerKey: raw.markerKey } : {}) };
}

/** The store as canonical JSON (sorted keys): equal stores give equal text, so an unchanged store is never rewritten. */
export function serializeStore(store: CredentialStore): string {
  return canonicalJson(store);
}
