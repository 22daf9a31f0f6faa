/**
 * The access policy from one Kubernetes Secret, followed through the API: an {@link Informer} on exactly that Secret
 * (`fieldSelector=metadata.name=…`), so the registry applies a change as soon as the operator writes it, instead of
 * waiting up to a minute or more for the kubelet to refresh a mounted volume. The registry's ServiceAccount needs
 * only `get`, `list` and `watch` on that one Secret (a Role with `resourceNames`: the API server authorizes a
 * list or watch filtered to one name as a request for that name).
 *
 * The informer is the operator's own (src/kube/informer.ts), so the watch never gives up: it reopens when the
 * server ends it, relists after `410 Gone` (diffing the relist against its cache, so a change missed while
 * disconnected is still reported), backs off after errors, and treats a watch that stays silent (no event, no
 * bookmark) as dead. Every add, change or delete of the Secret reports a possible change; the policy store ignores
 * a text it already holds, and keeps the policy it has when the new text is invalid or the Secret is gone.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../shared/logger.js';
import { ApiClient } from '../../kube/api-client.js';
import { Informer } from '../../kube/informer.js';
import { KubeApi } from '../../kube/kube-api.js';
import type { KubeObject } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import type { PolicySource } from './policy-source.js';

/** Where the policy lives: a key of a Secret. */
export interface PolicySecretRef {
  namespace: string;
  name: string;
  key: string;
}

export interface KubernetesSourceOptions {
  /** Default: `$KUBECONFIG`, else the in-cluster ServiceAccount, else ~/.kube/config. */
  kubeConfig?: KubeConfig;
  /** A watch silent for this long is reopened (the API server sends a bookmark about every minute). */
  silenceTimeoutMs?: number;
}

interface SecretObject {
  metadata: { resourceVersion?: string };
  data?: Record<string, string>;
}

/** The policy text in a Secret (pure). */
export function policyTextOf(secret: SecretObject, ref: PolicySecretRef): string {
  const data = secret.data?.[ref.key];
  if (data === undefined) throw new Error(`Secret ${ref.namespace}/${ref.name} has no key "${ref.key}"`);
  return Buffer.from(data, 'base64').toString('utf8');
}

/** A {@link PolicySource} reading `ref` through the Kubernetes API and watching it for changes. */
export async function kubernetesPolicySource(ref: PolicySecretRef, logger: Logger, opts: KubernetesSourceOptions = {}): Promise<PolicySource> {
  let kubeConfig = opts.kubeConfig;
  if (!kubeConfig) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
  }
  const api = new KubeApi(await ApiClient.create(kubeConfig));
  return {
    origin: `Secret ${ref.namespace}/${ref.name} (key ${ref.key})`,
    async read() {
      return policyTextOf(await api.get<KubeObject & SecretObject>(RESOURCES.secret, ref.namespace, ref.name), ref);
    },
    watch(changed) {
      const informer = new Informer<KubeObject>({
        api,
        logger,
        resource: RESOURCES.secret,
        namespace: ref.namespace,
        fieldSelector: `metadata.name=${ref.name}`,
        silenceTimeoutMs: opts.silenceTimeoutMs ?? 150_000,
      });
      informer.on(() => changed());
      informer.start();
      return () => {
        void informer.stop().finally(() => api.client.close());
      };
    },
  };
}
