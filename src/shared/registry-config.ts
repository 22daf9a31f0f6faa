/**
 * The registry's one typed configuration: parsed and validated once at the edge (YAML file, flags), with every
 * default in {@link DEFAULT_CONFIG}, and an error that names the bad field.
 *
 * @example
 * ```yaml
 * http:
 *   addr: 0.0.0.0:5000
 *   externalUrl: https://registry.example.com   # used in token realms; Locations are relative
 * storage:
 *   driver: filesystem                          # or memory (nothing survives a restart; tests)
 *   root: /var/lib/berth
 *   uploadPurge: { maxAge: 24h, interval: 1h }
 * auth:                                         # absent: no auth, like Distribution's default
 *   issuer: berth
 *   service: registry.example.com
 *   tokenTtl: 5m
 *   signingKeyFile: /etc/berth/signing-key.pem
 *   policyFile: /etc/berth/policy.yaml
 *   # in a cluster, instead: policySecret: { namespace: registry-ns, name: registry-policy, key: policy.yaml }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.js';

export interface HttpConfig {
  /** host:port to listen on; port 0 picks a free port. */
  addr: string;
  /** The URL clients use to reach this registry (token realm, pull Secrets). Empty: derived from requests. */
  externalUrl: string;
  /**
   * Behind one trusted proxy: honour X-Forwarded-Proto/Host for the external URL and X-Forwarded-For for the
   * client address (login limits). The per-address connection cap then does not apply (every peer is the proxy).
   */
  trustProxy: boolean;
  /** How long a client may take to send a request's headers (also: a new connection that sends nothing). */
  headersTimeoutMs: number;
  /** How long a request body may go without a byte arriving; an upload that keeps sending is never cut. */
  bodyIdleTimeoutMs: number;
  /** How long an idle keep-alive connection stays open after a response. */
  keepAliveTimeoutMs: number;
  /** Open client connections at most, in total. */
  maxConnections: number;
  /** Open client connections at most from one address (not applied with trustProxy). */
  maxConnectionsPerAddress: number;
}

/** The storage drivers `storage.driver` can name. */
export const STORAGE_DRIVERS = ['filesystem', 'memory'] as const;
export type StorageDriverName = (typeof STORAGE_DRIVERS)[number];

export interface StorageConfig {
  /** Where the bytes live: a folder (`filesystem`, the default) or this process's memory (`memory`, for tests). */
  driver: StorageDriverName;
  /** Directory that holds blobs, repositories and upload sessions (filesystem driver). */
  root: string;
  /** Upload sessions untouched for longer than maxAgeMs are purged every intervalMs. */
  uploadPurge: { maxAgeMs: number; intervalMs: number };
}

export interface AuthConfig {
  issuer: string;
  /** The token audience (`service` in challenges). */
  service: string;
  /** Absolute token URL; empty: `<externalUrl>/token`. */
  realm: string;
  tokenTtlMs: number;
  /** PEM private key; generated on first start when absent. */
  signingKeyFile: string;
  /** Extra PEM public keys (or JWKS files) still accepted for verification during a key rotation. */
  verificationKeyFiles: string[];
  /** YAML access policy, reloaded when the file changes. */
  policyFile: string;
  /**
   * In a cluster: read the policy from this key of a Secret through the Kubernetes API (watched, so a change
   * applies at once) instead of policyFile. Credentials: `$KUBECONFIG`, else the pod's ServiceAccount.
   */
  policySecret?: { namespace: string; name: string; key: string };
  /**
   * Failed logins allowed a minute per client address, per account from addresses it never logged in from, and
   * (without a success in between) per account and address, before 429.
   */
  failedLoginsPerMinute: number;
  /** Password checks running at once for one client address; more get 429 at once. */
  maxConcurrentLoginsPerAddress: number;
  /** Password checks running at once for one account from addresses it never logged in from; more get 429. */
  maxConcurrentLoginsPerAccount: number;
  /** Lockouts of one account from one address grow 1, 2, 4… minutes up to this. */
  loginLockoutMaxMs: number;
}

export interface RegistryConfig {
  http: HttpConfig;
  storage: StorageConfig;
  limits: {
    manifestMaxBytes: number;
    /** A referrers page holds at most this many bytes of descriptors (at least one); the rest is on the next page. */
    referrersPageMaxBytes: number;
  };
  log: { level: 'error' | 'warn' | 'info' | 'debug' };
  /** Absent: every request is allowed (no auth). */
  auth: AuthConfig | undefined;
}

export const DEFAULT_CONFIG: RegistryConfig = {
  http: {
    addr: '127.0.0.1:5000',
    externalUrl: '',
    trustProxy: false,
    headersTimeoutMs: 60_000,
    bodyIdleTimeoutMs: 60_000,
    keepAliveTimeoutMs: 75_000,
    maxConnections: 2000,
    maxConnectionsPerAddress: 200,
  },
  storage: { driver: 'filesystem', root: './data', uploadPurge: { maxAgeMs: 24 * 3600_000, intervalMs: 3600_000 } },
  limits: { manifestMaxBytes: 4 * 1024 * 1024, referrersPageMaxBytes: 1024 * 1024 },
  log: { level: 'info' },
  auth: undefined,
};

export const DEFAULT_AUTH: AuthConfig = {
  issuer: 'berth',
  service: 'berth-registry',
  realm: '',
  tokenTtlMs: 5 * 60_000,
  signingKeyFile: 'signing-key.pem',
  verificationKeyFiles: [],
  policyFile: 'policy.yaml',
  failedLoginsPerMinute: 10,
  maxConcurrentLoginsPerAddress: 4,
  maxConcurrentLoginsPerAccount: 2,
  loginLockoutMaxMs: 15 * 60_000,
};

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

type Obj = Record<string, unknown>;

function section(parent: Obj, key: string, path: string): Obj {
  const v = parent[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(path, 'must be a mapping');
  return v as Obj;
}

function checkKeys(obj: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(path ? `${path}.${k}` : k, `unknown field (allowed: ${allowed.join(', ')})`);
    }
  }
}

function str(obj: Obj, key: string, path: string, dflt: string): string {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string') throw new ConfigError(path, 'must be a string');
  return v;
}

function bool(obj: Obj, key: string, path: string, dflt: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(path, 'must be true or false');
  return v;
}

function posInt(obj: Obj, key: string, path: string, dflt: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new ConfigError(path, 'must be a positive whole number');
  }
  return v;
}

function duration(obj: Obj, key: string, path: string, dfltMs: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return dfltMs;
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined || !(ms > 0)) throw new ConfigError(path, 'must be a duration such as 90s, 5m or 24h');
  return ms;
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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

function parsePolicySecret(raw: Obj): AuthConfig['policySecret'] {
  if (raw.policySecret === undefined || raw.policySecret === null) return undefined;
  const ref = section(raw, 'policySecret', 'auth.policySecret');
  checkKeys(ref, ['namespace', 'name', 'key'], 'auth.policySecret');
  const namespace = str(ref, 'namespace', 'auth.policySecret.namespace', '');
  const name = str(ref, 'name', 'auth.policySecret.name', '');
  const key = str(ref, 'key', 'auth.policySecret.key', 'policy.yaml');
  if (!DNS_LABEL.test(namespace)) throw new ConfigError('auth.policySecret.namespace', 'must be a namespace name');
  if (!DNS_SUBDOMAIN.test(name)) throw new ConfigError('auth.policySecret.name', 'must be a Secret name');
  if (!SECRET_KEY.test(key)) throw new ConfigError('auth.policySecret.key', 'must be a Secret key (letters, digits, - _ .)');
  return { namespace, name, key };
}

function parseAuth(raw: Obj): AuthConfig {
  checkKeys(
    raw,
    [
      'issuer', 'service', 'realm', 'tokenTtl', 'signingKeyFile', 'verificationKeyFiles', 'policyFile', 'policySecret',
      'failedLoginsPerMinute', 'maxConcurrentLoginsPerAddress', 'maxConcurrentLoginsPerAccount', 'loginLockoutMax',
    ],
    'auth',
  );
  const policySecret = parsePolicySecret(raw);
  const d = DEFAULT_AUTH;
  const vkf = raw.verificationKeyFiles ?? [];
  if (!Array.isArray(vkf) || vkf.some((f) => typeof f !== 'string')) {
    throw new ConfigError('auth.verificationKeyFiles', 'must be a list of file paths');
  }
  const tokenTtlMs = duration(raw, 'tokenTtl', 'auth.tokenTtl', d.tokenTtlMs);
  if (tokenTtlMs < 60_000) throw new ConfigError('auth.tokenTtl', 'must be at least 60s (clients clamp shorter tokens)');
  return {
    issuer: str(raw, 'issuer', 'auth.issuer', d.issuer) || d.issuer,
    service: str(raw, 'service', 'auth.service', d.service) || d.service,
    realm: validateUrl(str(raw, 'realm', 'auth.realm', ''), 'auth.realm'),
    tokenTtlMs,
    signingKeyFile: str(raw, 'signingKeyFile', 'auth.signingKeyFile', d.signingKeyFile),
    verificationKeyFiles: vkf as string[],
    policyFile: str(raw, 'policyFile', 'auth.policyFile', d.policyFile),
    ...(policySecret ? { policySecret } : {}),
    failedLoginsPerMinute: posInt(raw, 'failedLoginsPerMinute', 'auth.failedLoginsPerMinute', d.failedLoginsPerMinute),
    maxConcurrentLoginsPerAddress: posInt(raw, 'maxConcurrentLoginsPerAddress', 'auth.maxConcurrentLoginsPerAddress', d.maxConcurrentLoginsPerAddress),
    maxConcurrentLoginsPerAccount: posInt(raw, 'maxConcurrentLoginsPerAccount', 'auth.maxConcurrentLoginsPerAccount', d.maxConcurrentLoginsPerAccount),
    loginLockoutMaxMs: duration(raw, 'loginLockoutMax', 'auth.loginLockoutMax', d.loginLockoutMaxMs),
  };
}

/** Turns parsed YAML into a validated config; throws {@link ConfigError} naming the first bad field. */
export function parseConfig(raw: unknown): RegistryConfig {
  const root: Obj = raw === undefined || raw === null ? {} : (raw as Obj);
  if (typeof root !== 'object' || Array.isArray(root)) throw new ConfigError('(root)', 'must be a mapping');
  checkKeys(root, ['http', 'storage', 'limits', 'log', 'auth'], '');
  const d = DEFAULT_CONFIG;
  const http = section(root, 'http', 'http');
  checkKeys(
    http,
    ['addr', 'externalUrl', 'trustProxy', 'headersTimeout', 'bodyIdleTimeout', 'keepAliveTimeout', 'maxConnections', 'maxConnectionsPerAddress'],
    'http',
  );
  const storage = section(root, 'storage', 'storage');
  checkKeys(storage, ['driver', 'root', 'uploadPurge'], 'storage');
  const purge = section(storage, 'uploadPurge', 'storage.uploadPurge');
  checkKeys(purge, ['maxAge', 'interval'], 'storage.uploadPurge');
  const limits = section(root, 'limits', 'limits');
  checkKeys(limits, ['manifestMaxBytes', 'referrersPageMaxBytes'], 'limits');
  const log = section(root, 'log', 'log');
  checkKeys(log, ['level'], 'log');
  const level = str(log, 'level', 'log.level', d.log.level);
  if (!['error', 'warn', 'info', 'debug'].includes(level)) {
    throw new ConfigError('log.level', 'must be one of error, warn, info, debug');
  }
  const storageRoot = str(storage, 'root', 'storage.root', d.storage.root);
  if (storageRoot === '') throw new ConfigError('storage.root', 'must not be empty');
  const driver = str(storage, 'driver', 'storage.driver', d.storage.driver);
  if (!(STORAGE_DRIVERS as readonly string[]).includes(driver)) {
    throw new ConfigError('storage.driver', `must be one of ${STORAGE_DRIVERS.join(', ')}`);
  }
  return {
    http: {
      addr: validateAddr(str(http, 'addr', 'http.addr', d.http.addr)),
      externalUrl: validateUrl(str(http, 'externalUrl', 'http.externalUrl', ''), 'http.externalUrl'),
      trustProxy: bool(http, 'trustProxy', 'http.trustProxy', d.http.trustProxy),
      headersTimeoutMs: duration(http, 'headersTimeout', 'http.headersTimeout', d.http.headersTimeoutMs),
      bodyIdleTimeoutMs: duration(http, 'bodyIdleTimeout', 'http.bodyIdleTimeout', d.http.bodyIdleTimeoutMs),
      keepAliveTimeoutMs: duration(http, 'keepAliveTimeout', 'http.keepAliveTimeout', d.http.keepAliveTimeoutMs),
      maxConnections: posInt(http, 'maxConnections', 'http.maxConnections', d.http.maxConnections),
      maxConnectionsPerAddress: posInt(http, 'maxConnectionsPerAddress', 'http.maxConnectionsPerAddress', d.http.maxConnectionsPerAddress),
    },
    storage: {
      driver: driver as StorageDriverName,
      root: storageRoot,
      uploadPurge: {
        maxAgeMs: duration(purge, 'maxAge', 'storage.uploadPurge.maxAge', d.storage.uploadPurge.maxAgeMs),
        intervalMs: duration(purge, 'interval', 'storage.uploadPurge.interval', d.storage.uploadPurge.intervalMs),
      },
    },
    limits: {
      manifestMaxBytes: posInt(limits, 'manifestMaxBytes', 'limits.manifestMaxBytes', d.limits.manifestMaxBytes),
      referrersPageMaxBytes: posInt(limits, 'referrersPageMaxBytes', 'limits.referrersPageMaxBytes', d.limits.referrersPageMaxBytes),
    },
    log: { level: level as RegistryConfig['log']['level'] },
    auth: root.auth === undefined || root.auth === null ? undefined : parseAuth(section(root, 'auth', 'auth')),
  };
}

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
    storage: { ...config.storage, root: at(config.storage.root) },
    auth: config.auth && {
      ...config.auth,
      signingKeyFile: at(config.auth.signingKeyFile),
      verificationKeyFiles: config.auth.verificationKeyFiles.map(at),
      policyFile: at(config.auth.policyFile),
    },
  };
}
