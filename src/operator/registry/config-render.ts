/**
 * The `berth serve` configuration the operator renders for a Registry's pods (input of `parseConfig` in
 * `src/shared/registry-config.ts`, typed by the same schema), and the paths where the pod finds its files.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Endpoint } from './naming.js';
import { REGISTRY_PORT } from './naming.js';
import type { RegistryConfigFile } from '../../shared/schemas/registry-config.js';
import type { RegistrySpec } from './types.js';
import { renderGc } from './gc.js';
import { s3StorageConfig } from './build-s3.js';
import { TLS_KEYS } from './tls-plan.js';

/** Where the projected configuration volume is mounted, and the files in it. */
export const POD_PATHS = {
  configDir: '/etc/berth',
  config: '/etc/berth/config.yaml',
  signingKey: '/etc/berth/keys/signing-key.pem',
  policy: '/etc/berth/policy/policy.yaml',
  storage: '/var/lib/berth',
  /** The TLS Secret's volume (spec.tls): tls.crt and tls.key, updated in place by the kubelet. */
  tlsDir: '/etc/berth-tls',
  tmp: '/tmp',
} as const;

/** Keys inside the Secrets. */
export const SECRET_KEYS = {
  config: 'config.yaml',
  signingKey: 'signing-key.pem',
  policy: 'policy.yaml',
} as const;

/** The token issuer of every operator-run registry. */
export const TOKEN_ISSUER = 'berth';

/** `auth.kubernetes` when the Registry enables it; its audience defaults to the registry's own service name. */
function kubernetesAuth(spec: RegistrySpec, endpoint: Endpoint): Pick<NonNullable<RegistryConfigFile['auth']>, 'kubernetes'> {
  const k8s = spec.auth.kubernetes;
  if (!k8s?.enabled) return {};
  const audiences = k8s.audiences?.length ? k8s.audiences : [endpoint.host];
  return { kubernetes: { enabled: true, audiences, cacheTtl: k8s.cacheTtl ?? '10s' } };
}

/**
 * The registry configuration as YAML (pure). With `policySecret`, the pods read the access policy through the API
 * (watched: a change applies at once) instead of from the mounted file. `http.trustProxy` is set exactly when the
 * operator puts its Ingress in front: every client then reaches the pods through the ingress controller, and only
 * X-Forwarded-For tells them apart (login limits per address); without the Ingress the header is a client's word
 * and is ignored. With `reportConfigMap`, the pods publish their reports (the last garbage collection run…) there.
 */
export function renderRegistryConfig(
  spec: RegistrySpec,
  endpoint: Endpoint,
  policySecret?: { namespace: string; name: string },
  reportConfigMap?: { namespace: string; name: string },
): string {
  const gc = renderGc(spec.gc);
  const config: RegistryConfigFile = {
    http: {
      addr: `0.0.0.0:${REGISTRY_PORT}`,
      externalUrl: endpoint.url,
      trustProxy: behindOwnIngress(spec),
      ...(spec.tls && { tls: { certFile: `${POD_PATHS.tlsDir}/${TLS_KEYS.cert}`, keyFile: `${POD_PATHS.tlsDir}/${TLS_KEYS.key}` } }),
    },
    storage: { ...(spec.storage.s3 ? s3StorageConfig(spec.storage.s3) : { root: POD_PATHS.storage }), ...(gc ? { gc } : {}) },
    log: { level: spec.logLevel },
    auth: {
      issuer: TOKEN_ISSUER,
      service: endpoint.host,
      tokenTtl: spec.auth.tokenTtl,
      signingKeyFile: POD_PATHS.signingKey,
      policyFile: POD_PATHS.policy,
      ...(policySecret ? { policySecret: { ...policySecret, key: SECRET_KEYS.policy } } : {}),
      ...kubernetesAuth(spec, endpoint),
    },
    ...(reportConfigMap ? { report: { configMap: reportConfigMap } } : {}),
  };
  return `# Rendered by the Berth operator from the Registry resource; edits are overwritten.\n${stringify(config)}`;
}

/** Whether the operator puts an Ingress in front of the registry (the same test as `buildIngress`). */
export function behindOwnIngress(spec: RegistrySpec): boolean {
  return Boolean(spec.expose.ingress?.enabled && spec.expose.host);
}

/** A short content hash (for the pod template annotation that rolls pods on a config change). */
export function contentHash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}
