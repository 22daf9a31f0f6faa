/**
 * Which Secrets the credential machinery may change or delete (pure). A label can be copied by anyone who may write
 * a Secret, so labels only find candidates; a Secret is the operator's own only when it carries an ownership proof:
 * an HMAC of (Registry uid, namespace, name) keyed by the Registry's marker key, which lives in the credential store
 * only the operator reads. A Secret labelled by hand, copied from another namespace, or written for another Registry
 * (or an earlier Registry of the same name) has no valid proof and is never overwritten or deleted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../../kube/objects.js';

/** The annotation holding the proof. */
export const OWNER_PROOF_ANNOTATION = 'berth.dev/owner-proof';

/** What a proof is bound to: the marker key and the uid of the Registry the Secret serves. */
export interface OwnerKey {
  markerKey: string;
  registryUid: string;
}

/** The proof for the Secret `namespace/name` written for the Registry of `owner`. */
export function ownerProof(owner: OwnerKey, namespace: string, name: string): string {
  return createHmac('sha256', owner.markerKey).update(`${owner.registryUid}\n${namespace}\n${name}`).digest('base64url');
}

/** Whether `secret` carries a valid proof for `owner` (its own namespace and name, so a copied proof is invalid). */
export function provesOwnership(secret: KubeObject, owner: OwnerKey | undefined): boolean {
  const have = secret.metadata.annotations?.[OWNER_PROOF_ANNOTATION];
  if (!owner || !owner.markerKey || !owner.registryUid || typeof have !== 'string') return false;
  const want = Buffer.from(ownerProof(owner, secret.metadata.namespace ?? '', secret.metadata.name));
  const got = Buffer.from(have);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** `obj` with the proof for `owner` added to its annotations. */
export function withOwnerProof<T extends KubeObject>(obj: T, owner: OwnerKey): T {
  const proof = ownerProof(owner, obj.metadata.namespace ?? '', obj.metadata.name);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [OWNER_PROOF_ANNOTATION]: proof } } };
}
