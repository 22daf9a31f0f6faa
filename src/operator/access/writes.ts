/**
 * The API writes of the access controller, each one request: create-or-apply a Secret it owns (never one it does
 * not own), delete, JSON-patch a ServiceAccount, replace a Repository's finalizers, and apply the one key of the
 * policy Secret it owns (its own field manager, so the Registry controller's fields are never touched).
 */
import { classifyFailure, FAILURE_KINDS, hasStatus } from '../../kube/api-error.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { KubeObject } from '../../kube/objects.js';
import { resourcePath, RESOURCES, type ResourceType } from '../../kube/resources.js';
import { withDesiredHash, type Applier } from '../runtime/applier.js';
import type { JsonPatchOp } from './service-accounts.js';
import { provesOwnership, type OwnerKey } from './ownership.js';
import { OUTCOMES, type Outcome } from './status.js';
import { ACCESS_LABELS } from './types.js';

/** Writes run this many at once (one Registry may have Secrets in hundreds of namespaces). */
export const WRITE_CONCURRENCY = 16;

/**
 * The field manager of the policy Secret's content: the Registry controller applies that Secret as `berth` without
 * any data, this controller applies only `data.<key>` as `berth-access`, so each field has exactly one writer.
 */
export const POLICY_FIELD_MANAGER = 'berth-access';

/**
 * Whether a Secret was written by the credential machinery for the Registry of `owner` (only those are ever changed
 * or deleted): labelled as ours and carrying a valid ownership proof (`ownership.ts`); a label alone, which anyone
 * may copy, is not enough.
 */
export function isOurs(secret: KubeObject, owner: OwnerKey | undefined): boolean {
  return secret.metadata.labels?.[ACCESS_LABELS.sourceRegistry] !== undefined && provesOwnership(secret, owner);
}

/** How long a Secret name found taken by someone else's Secret is not tried again (it is not in our caches). */
export const TAKEN_RETRY_MS = 60_000;

export class SecretWriter {
  /** `namespace/name` → when a create found someone else's Secret there. */
  readonly #taken = new Map<string, number>();

  constructor(
    private readonly api: KubeApi,
    private readonly applier: Applier,
    private readonly now: () => number,
  ) {}

  /**
   * Makes `desired` exist as given; `live` is the cached Secret of that name (caches hold only Secrets labelled as
   * Berth's, which is not proof: one without the proof of `owner` is someone else's and is left alone).
   */
  async ensure(desired: KubeObject, live: KubeObject | undefined, owner: OwnerKey): Promise<Outcome> {
    const key = `${desired.metadata.namespace}/${desired.metadata.name}`;
    if (live) {
      if (!isOurs(live, owner)) return OUTCOMES.taken;
      await this.applier.ensure(RESOURCES.secret, desired, live);
      return OUTCOMES.synced;
    }
    const takenAt = this.#taken.get(key);
    if (takenAt !== undefined && this.now() - takenAt < TAKEN_RETRY_MS) return OUTCOMES.taken;
    try {
      await this.api.create(RESOURCES.secret, withDesiredHash(desired));
      this.#taken.delete(key);
      return OUTCOMES.synced;
    } catch (err) {
      if (classifyFailure(err) !== FAILURE_KINDS.exists) throw err;
      this.#taken.set(key, this.now());
      return OUTCOMES.taken;
    }
  }

  async delete(namespace: string, name: string): Promise<void> {
    this.applier.forget(RESOURCES.secret, namespace, name);
    try {
      await this.api.delete(RESOURCES.secret, namespace, name);
    } catch (err) {
      if (!hasStatus(err, 404)) throw err;
    }
  }
}

/** Applies a JSON patch to a ServiceAccount (a failed `test` of its resourceVersion is an error: retry later). */
export async function patchServiceAccount(api: KubeApi, namespace: string, name: string, ops: JsonPatchOp[]): Promise<void> {
  await api.client.request({
    method: 'PATCH',
    path: resourcePath(RESOURCES.serviceAccount, namespace, name),
    body: ops,
    contentType: 'application/json-patch+json',
  });
}

/** Replaces the finalizers of an object, guarded by its resourceVersion (a race gives 409: retry). */
export async function setFinalizers(api: KubeApi, rt: ResourceType, obj: KubeObject, finalizers: string[]): Promise<void> {
  await api.mergePatch(rt, obj.metadata.namespace, obj.metadata.name, {
    metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion },
  });
}

/**
 * Applies one key of the existing Secret `secret` (server-side apply as {@link POLICY_FIELD_MANAGER}). The
 * Secret's uid is sent along, so the write fails instead of creating a Secret when it was deleted meanwhile.
 */
export async function applyPolicyText(api: KubeApi, secret: KubeObject, key: string, text: string): Promise<KubeObject> {
  const { name, namespace, uid } = secret.metadata;
  const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, uid }, data: { [key]: Buffer.from(text, 'utf8').toString('base64') } };
  return api.apply(RESOURCES.secret, body, { fieldManager: POLICY_FIELD_MANAGER });
}

/** One limiter for the whole program (src/shared/concurrency.ts). */
export { forEachLimit } from '../../shared/concurrency.js';
