/**
 * The access policy from one Kubernetes Secret, followed through the API: a watch on exactly that Secret
 * (`fieldSelector=metadata.name=…`), so the registry applies a change as soon as the operator writes it, instead of
 * waiting up to a minute or more for the kubelet to refresh a mounted volume. The registry's ServiceAccount needs
 * only `get`, `list` and `watch` on that one Secret (a Role with `resourceNames`: the API server authorizes a
 * list or watch filtered to one name as a request for that name).
 *
 * Like the operator's informers, the watch never gives up: it reopens when the server ends it, relists after
 * `410 Gone`, backs off after errors, and treats a watch that stays silent (no event, no bookmark) as dead. Every
 * (re)start reports a possible change, so nothing missed while disconnected is lost; the policy store ignores a
 * text it already holds.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../shared/logger.js';
import { ApiClient } from '../../kube/api-client.js';
import { hasStatus } from '../../kube/api-error.js';
import { resourcePath, RESOURCES } from '../../kube/resources.js';
import { backoffDelay, sleep, WATCH_BACKOFF } from '../../kube/backoff.js';
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

interface WatchEvent {
  type: string;
  object: SecretObject & { code?: number };
}

const HEALTHY_WATCH_MS = 5_000;

/** The policy text in a Secret (pure). */
export function policyTextOf(secret: SecretObject, ref: PolicySecretRef): string {
  const data = secret.data?.[ref.key];
  if (data === undefined) throw new Error(`Secret ${ref.namespace}/${ref.name} has no key "${ref.key}"`);
  return Buffer.from(data, 'base64').toString('utf8');
}

/** Follows one Secret: list (for a resourceVersion), then watch from there, forever, until stopped. */
class SecretFollower {
  readonly #path: string;
  readonly #fieldSelector: string;
  #resourceVersion: string | undefined;
  #failures = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly ref: PolicySecretRef,
    private readonly changed: () => void,
    private readonly logger: Logger,
    private readonly silenceMs: number,
  ) {
    this.#path = resourcePath(RESOURCES.secret, ref.namespace);
    this.#fieldSelector = `metadata.name=${ref.name}`;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const attempt = new AbortController();
      const stop = (): void => attempt.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        if (this.#resourceVersion === undefined) await this.#list(attempt.signal);
        const healthy = await this.#watch(attempt);
        this.#failures = healthy ? 0 : this.#failures + 1;
      } catch (err) {
        if (hasStatus(err, 410)) this.#resourceVersion = undefined;
        else if (!attempt.signal.aborted) {
          this.#failures += 1;
          const secret = `${this.ref.namespace}/${this.ref.name}`;
          this.logger.warn('policy Secret watch failed, retrying', { secret, error: (err as Error).message, attempt: this.#failures });
        }
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (this.#failures > 0) await sleep(backoffDelay(WATCH_BACKOFF, this.#failures), signal);
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const list = await this.client.request<{ metadata: { resourceVersion?: string } }>({
      method: 'GET',
      path: this.#path,
      query: { fieldSelector: this.#fieldSelector },
      signal,
    });
    this.#resourceVersion = list.metadata.resourceVersion;
    this.changed();
  }

  /** One watch; resolves whether it was healthy (delivered something or stayed open a while, and sent no error). */
  async #watch(attempt: AbortController): Promise<boolean> {
    let silence: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(silence);
      silence = setTimeout(() => attempt.abort(), this.silenceMs);
    };
    const started = Date.now();
    let events = 0;
    let errorEvent = false;
    const query = {
      watch: 1,
      fieldSelector: this.#fieldSelector,
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: 240 + Math.round(Math.random() * 60),
    };
    arm();
    try {
      await this.client.stream({ path: this.#path, query, signal: attempt.signal }, (line) => {
        const event = line as WatchEvent;
        arm();
        if (event.type === 'ERROR') {
          if (event.object.code === 410) this.#resourceVersion = undefined;
          else errorEvent = true;
          attempt.abort();
          return;
        }
        events += 1;
        if (event.object.metadata?.resourceVersion) this.#resourceVersion = event.object.metadata.resourceVersion;
        if (event.type !== 'BOOKMARK') this.changed();
      });
    } catch (err) {
      if (!attempt.signal.aborted) throw err;
    } finally {
      clearTimeout(silence);
    }
    // A watch that delivered nothing and ended at once backs off, so a server that drops connections is not hammered.
    return !errorEvent && (events > 0 || Date.now() - started >= HEALTHY_WATCH_MS);
  }
}

/** A {@link PolicySource} reading `ref` through the Kubernetes API and watching it for changes. */
export async function kubernetesPolicySource(ref: PolicySecretRef, logger: Logger, opts: KubernetesSourceOptions = {}): Promise<PolicySource> {
  let kubeConfig = opts.kubeConfig;
  if (!kubeConfig) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
  }
  const client = await ApiClient.create(kubeConfig);
  const silenceMs = opts.silenceTimeoutMs ?? 150_000;
  return {
    origin: `Secret ${ref.namespace}/${ref.name} (key ${ref.key})`,
    async read() {
      return policyTextOf(await client.request<SecretObject>({ method: 'GET', path: resourcePath(RESOURCES.secret, ref.namespace, ref.name) }), ref);
    },
    watch(changed) {
      const stopping = new AbortController();
      void new SecretFollower(client, ref, changed, logger, silenceMs).run(stopping.signal);
      return () => {
        stopping.abort();
        client.close();
      };
    },
  };
}
