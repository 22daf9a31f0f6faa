/**
 * The registry's one typed configuration: parsed and validated once at the edge (YAML file, flags) against its
 * schema (`src/shared/schemas/registry-config.ts`, which holds every field, default and message), with an error
 * that names the bad field.
 *
 * @example
 * ```yaml
 * http:
 *   addr: 0.0.0.0:5000
 *   externalUrl: https://registry.example.com   # used in token realms; Locations are relative
 *   tls: { certFile: /etc/berth/tls/tls.crt, keyFile: /etc/berth/tls/tls.key }   # absent: plain HTTP
 * storage:
 *   driver: filesystem                          # or memory (nothing survives a restart; tests), or s3:
 *   # s3: { bucket: berth, endpoint: http://127.0.0.1:7070, forcePathStyle: true }
 *   root: /var/lib/berth
 *   uploadPurge: { maxAge: 24h, interval: 1h }
 * auth:                                         # absent: no auth, like Distribution's default
 *   issuer: berth
 *   service: registry.example.com
 *   tokenTtl: 5m
 *   signingKeyFile: /etc/berth/signing-key.pem
 *   policyFile: /etc/berth/policy.yaml
 *   # in a cluster, instead: policySecret: { namespace: registry-ns, name: registry-policy, key: policy.yaml }
 * report:                                       # in a cluster: reports (last GC run…) for the operator
 *   configMap: { namespace: registry-ns, name: registry-report }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applyDefaults } from './schemas/kit.js';
import { durationsToMs, type WithMs } from './schemas/config-durations.js';
import { AuthSchema, CONFIG_WORDING, RegistryConfigSchema, type RegistryConfigDefaulted } from './schemas/registry-config.js';
import { firstProblem, withoutNulls } from './schemas/validate.js';

export { S3_MIN_PART_SIZE, STORAGE_DRIVERS, type StorageDriverName } from './schemas/registry-config.js';

type Parsed = WithMs<RegistryConfigDefaulted>;

export type HttpConfig = Parsed['http'];
export type TlsConfig = NonNullable<HttpConfig['tls']>;
export type StorageConfig = Parsed['storage'];
export type S3Config = NonNullable<StorageConfig['s3']>;
export type AuthConfig = NonNullable<Parsed['auth']>;
/** Where a registry in a cluster publishes its reports (absent: nowhere). */
export type ReportConfig = NonNullable<Parsed['report']>;

export interface RegistryConfig extends Omit<Parsed, 'auth'> {
  /** Absent: every request is allowed (no auth). */
  auth: AuthConfig | undefined;
}

/** A configuration problem, naming the field (`storage.uploadPurge.maxAge`). */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`config: ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Validates `host:port` (IPv6 in brackets) and returns it unchanged. */
export function validateAddr(addr: string, field = 'http.addr'): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(addr);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(field, `"${addr}" is not host:port`);
  return addr;
}

function validateUrl(url: string, field: string): string {
  if (url === '') return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(field, `"${url}" is not an absolute URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(field, 'must be an http or https URL');
  return url.replace(/\/+$/, '');
}

function checkAuth(auth: AuthConfig): AuthConfig {
  if (auth.tokenTtlMs < 60_000) throw new ConfigError('auth.tokenTtl', 'must be at least 60s (clients clamp shorter tokens)');
  const k8s = auth.kubernetes;
  if (k8s?.enabled && k8s.audiences.length === 0 && !k8s.acceptApiServerAudience) {
    throw new ConfigError('auth.kubernetes.audiences', "must name at least one audience (or set acceptApiServerAudience: true to accept the API server's own)");
  }
  return {
    ...auth,
    // An empty issuer or service means the default, as if absent.
    issuer: auth.issuer || AuthSchema.properties.issuer.default,
    service: auth.service || AuthSchema.properties.service.default,
    realm: validateUrl(auth.realm, 'auth.realm'),
  };
}

/** What the schema cannot say: `storage.s3` goes with the s3 driver, and key files come in pairs. */
function checkStorage(storage: StorageConfig): StorageConfig {
  const { s3 } = storage;
  if (storage.driver !== 's3') {
    if (s3) throw new ConfigError('storage.s3', 'is only read with storage.driver: s3');
    return storage;
  }
  if (!s3) throw new ConfigError('storage.s3', 'is required with storage.driver: s3 (at least a bucket)');
  if ((s3.accessKeyIdFile === '') !== (s3.secretAccessKeyFile === '')) {
    throw new ConfigError('storage.s3.accessKeyIdFile', 'and secretAccessKeyFile go together: set both or neither');
  }
  return {
    ...storage,
    s3: {
      ...s3,
      endpoint: validateUrl(s3.endpoint, 'storage.s3.endpoint'),
      publicEndpoint: validateUrl(s3.publicEndpoint, 'storage.s3.publicEndpoint'),
      prefix: s3.prefix.replace(/^\/+|\/+$/g, ''),
    },
  };
}

/** Turns parsed YAML into a validated config; throws {@link ConfigError} naming the first bad field. */
export function parseConfig(raw: unknown): RegistryConfig {
  const doc = withoutNulls(raw);
  const problem = firstProblem(RegistryConfigSchema, doc, CONFIG_WORDING);
  if (problem) throw new ConfigError(problem.field, problem.message);
  const c = durationsToMs(RegistryConfigSchema, applyDefaults(RegistryConfigSchema, doc, false));
  return {
    ...c,
    http: { ...c.http, addr: validateAddr(c.http.addr), externalUrl: validateUrl(c.http.externalUrl, 'http.externalUrl') },
    storage: checkStorage(c.storage),
    auth: c.auth && checkAuth(c.auth),
  };
}

/** The configuration of an empty file: every default of the schema. */
export const DEFAULT_CONFIG: RegistryConfig = parseConfig({});

/** Reads and validates a YAML config file; relative paths in it resolve against the file's folder. */
export async function loadConfigFile(file: string): Promise<RegistryConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError('(file)', `${file} is not valid YAML: ${(err as Error).message}`);
  }
  return resolvePaths(parseConfig(raw), dirname(resolve(file)));
}

/** Makes relative file paths in a config file relative to the file's own folder, not the working directory. */
export function resolvePaths(config: RegistryConfig, base: string): RegistryConfig {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    http: { ...config.http, ...(config.http.tls && { tls: { certFile: at(config.http.tls.certFile), keyFile: at(config.http.tls.keyFile) } }) },
    storage: {
      ...config.storage,
      root: at(config.storage.root),
      ...(config.storage.s3 && {
        s3: {
          ...config.storage.s3,
          accessKeyIdFile: config.storage.s3.accessKeyIdFile && at(config.storage.s3.accessKeyIdFile),
          secretAccessKeyFile: config.storage.s3.secretAccessKeyFile && at(config.storage.s3.secretAccessKeyFile),
        },
      }),
    },
    auth: config.auth && {
      ...config.auth,
      signingKeyFile: at(config.auth.signingKeyFile),
      verificationKeyFiles: config.auth.verificationKeyFiles.map(at),
      policyFile: at(config.auth.policyFile),
    },
  };
}
