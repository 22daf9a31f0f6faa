/**
 * Where the API server is and how to authenticate to it, without loading `@kubernetes/client-node` in the common
 * cases: its `KubeConfig` imports the whole generated API (about 27 MiB of heap and 70 MiB of RSS in the operator,
 * more than its informer caches hold at 1,000 namespaces). Read here:
 * - in a pod: the ServiceAccount token (read again every minute, as kubelet rotates it) and CA;
 * - a kubeconfig whose current context uses a bearer token or a client certificate, with CA data or files.
 * Anything else (exec plugins, auth providers, basic auth, impersonation, several files in $KUBECONFIG) is handed
 * to `KubeConfig`, loaded only then. The order of the sources is `KubeConfig.loadFromDefault`'s.
 */
import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';

/** What {@link ApiClient} needs of a kubeconfig (`KubeConfig` of `@kubernetes/client-node` has it too). */
export interface KubeCredentials {
  getCurrentCluster(): { server: string; skipTLSVerify?: boolean; tlsServerName?: string } | null;
  /** Sets TLS material and the Authorization header of a request. */
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_REREAD_MS = 60_000;

type Doc = Record<string, unknown>;
export interface Plain {
  server: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** A fixed token, or a file read again every minute. */
  token?: string;
  tokenFile?: string;
}

const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name']);
const USER_KEYS = new Set(['token', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data']);

const named = (list: unknown, name: unknown, field: string): Doc | undefined =>
  (Array.isArray(list) ? (list as Doc[]) : []).find((e) => e.name === name)?.[field] as Doc | undefined;

/** File (relative to the kubeconfig's folder) or base64 data; undefined when neither is set. */
function material(root: string, file: unknown, data: unknown): Buffer | undefined {
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64');
  if (typeof file === 'string' && file !== '') return readFileSync(isAbsolute(file) ? file : join(root, file));
  return undefined;
}

/**
 * The plain credentials of a kubeconfig document's current context (pure but for reading the files it names), or
 * undefined when it needs `KubeConfig` (unknown cluster or user fields, such as exec and auth-provider).
 */
export function plainFromKubeconfig(text: string, root: string): Plain | undefined {
  const doc = (parseYaml(text) ?? {}) as Doc;
  const context = named(doc.contexts, doc['current-context'], 'context');
  const cluster = named(doc.clusters, context?.cluster, 'cluster');
  const user = named(doc.users, context?.user, 'user') ?? {};
  if (!cluster || typeof cluster.server !== 'string') return undefined;
  if (!Object.keys(cluster).every((k) => CLUSTER_KEYS.has(k)) || !Object.keys(user).every((k) => USER_KEYS.has(k))) return undefined;
  return {
    server: cluster.server,
    skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster['tls-server-name'] as string | undefined,
    ca: material(root, cluster['certificate-authority'], cluster['certificate-authority-data']),
    cert: material(root, user['client-certificate'], user['client-certificate-data']),
    key: material(root, user['client-key'], user['client-key-data']),
    token: typeof user.token === 'string' && user.token !== '' ? user.token : undefined,
  };
}

/** The in-cluster server URL from the service environment, as `KubeConfig.loadFromCluster` builds it (pure). */
export function inClusterServer(host: string | undefined, port: string | undefined): string {
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  return `${scheme}://${host && isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Credentials read once (a token file: again every minute). */
export class PlainCredentials implements KubeCredentials {
  #token: { value: string; readAt: number } | undefined;

  constructor(
    private readonly c: Plain,
    private readonly now: () => number = Date.now,
  ) {}

  getCurrentCluster(): { server: string; skipTLSVerify: boolean; tlsServerName?: string } {
    return { server: this.c.server, skipTLSVerify: this.c.skipTLSVerify, tlsServerName: this.c.tlsServerName };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    if (this.c.skipTLSVerify) opts.rejectUnauthorized = false;
    if (this.c.tlsServerName) opts.servername = this.c.tlsServerName;
    if (this.c.ca) opts.ca = this.c.ca;
    if (this.c.cert) opts.cert = this.c.cert;
    if (this.c.key) opts.key = this.c.key;
    const token = this.#currentToken();
    if (token) opts.headers = { ...(opts.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` };
  }

  #currentToken(): string | undefined {
    if (!this.c.tokenFile) return this.c.token;
    if (!this.#token || this.now() - this.#token.readAt > TOKEN_REREAD_MS) {
      this.#token = { value: readFileSync(this.c.tokenFile, 'utf8'), readAt: this.now() };
    }
    return this.#token.value;
  }
}

/** Credentials read by `KubeConfig` (exec plugins, auth providers...). */
async function viaKubeConfig(load: (kc: KubeConfig) => void): Promise<KubeCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  load(kc);
  return kc;
}

/** Where {@link loadKubeCredentials} looks (tests point them elsewhere). */
export interface CredentialSources {
  env?: NodeJS.ProcessEnv;
  homeConfig?: string;
  serviceAccountDir?: string;
}

/** Credentials from `file`, else as `KubeConfig.loadFromDefault` finds them: $KUBECONFIG, ~/.kube/config, the pod. */
export async function loadKubeCredentials(file: string | undefined, sources: CredentialSources = {}): Promise<KubeCredentials> {
  const { env = process.env, homeConfig = join(homedir(), '.kube', 'config'), serviceAccountDir = SERVICE_ACCOUNT_DIR } = sources;
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (!file && files.length > 1) return viaKubeConfig((kc) => kc.loadFromDefault());
  const path = file ?? files[0] ?? (existsSync(homeConfig) ? homeConfig : undefined);
  if (path) {
    const plain = plainFromKubeconfig(readFileSync(path, 'utf8'), dirname(path));
    return plain ? new PlainCredentials(plain) : viaKubeConfig((kc) => kc.loadFromFile(path));
  }
  const tokenFile = join(serviceAccountDir, 'token');
  if (!existsSync(tokenFile)) return viaKubeConfig((kc) => kc.loadFromDefault());
  const caFile = join(serviceAccountDir, 'ca.crt');
  return new PlainCredentials({
    server: inClusterServer(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT),
    skipTLSVerify: false,
    ca: existsSync(caFile) ? readFileSync(caFile) : undefined,
    tokenFile,
  });
}
