/**
 * A real `berth serve` with the token service on, for the auth integration tests: a temporary folder holding
 * config.yaml, policy.yaml (rewritten atomically by tests) and the signing key the server generates, plus small
 * HTTP helpers that speak to it the way clients do. Passwords use a cheap scrypt cost so tests stay fast.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { hashPassword } from '../../../src/registry/auth/passwords.js';
import { buildKeySet, loadSigningKey } from '../../../src/registry/auth/keys.js';
import type { TokenSettings } from '../../../src/registry/auth/tokens.js';
import { hashRobotSecret } from '../../../src/shared/policy-secrets.js';

export const ISSUER = 'berth-itest';
export const SERVICE = 'berth-itest-registry';
export const PASSWORDS = { alice: 'alice-password-1', bob: 'bob-password-22', tester: 'conformance-pw-3' } as const;
export const SECRETS = {
  ci: 'berth_ci-secret-0123456789abcdefghijklmnopqrstuv',
  puller: 'berth_puller-secret-0123456789abcdefghijklmnopq',
  ops: 'berth_ops-secret-0123456789abcdefghijklmnopqrstu',
  reader: 'berth_reader-secret-0123456789abcdefghijklmnopq',
} as const;

/** The policy every auth integration test starts from; `extra` is appended under `robots:`/`rules:` by tests. */
export async function basePolicy(): Promise<string> {
  const hash = (pw: string) => hashPassword(pw, { ln: 10, r: 8, p: 1 });
  return `version: 1
users:
  - { name: alice, passwordHash: "${await hash(PASSWORDS.alice)}" }
  - { name: bob, passwordHash: "${await hash(PASSWORDS.bob)}" }
  - { name: tester, passwordHash: "${await hash(PASSWORDS.tester)}" }
robots:
  - { name: ci, secrets: [{ hash: ${hashRobotSecret(SECRETS.ci)} }] }
  - { name: puller, secrets: [{ hash: ${hashRobotSecret(SECRETS.puller)} }] }
  - { name: ops, secrets: [{ hash: ${hashRobotSecret(SECRETS.ops)} }] }
  - { name: reader, secrets: [{ hash: ${hashRobotSecret(SECRETS.reader)} }] }
rules:
  - { repositories: [team/**], principals: [user:alice], actions: [pull, push, delete] }
  - { repositories: [team/app], principals: [robot:ci], actions: [pull, push] }
  - { repositories: [team/app], principals: [robot:puller], actions: [pull] }
  - { repositories: [private/**], principals: [robot:ops], actions: [pull, push] }
  - { repositories: [team/**], principals: [robot:reader], actions: [pull] }
  - { repositories: [public/**], principals: [everyone], actions: [pull] }
  - { repositories: [public/**], principals: [user:alice], actions: [push] }
  - { repositories: [conformance/**], principals: [user:tester], actions: [pull, push, delete] }
catalog: [user:alice, user:tester]
`;
}

export interface AuthRegistry {
  berth: BerthProcess;
  url: string;
  host: string;
  dir: string;
  policyFile: string;
  /** Replaces the policy file atomically (write a temp file, rename it over). */
  writePolicy(text: string): Promise<void>;
  /** Token settings with the server's own signing key, for forging tokens in attack tests. */
  settings(): Promise<TokenSettings>;
  stop(): Promise<void>;
}

export async function startAuthRegistry(
  opts: {
    policy?: string;
    auth?: Record<string, unknown>;
    http?: Record<string, unknown>;
    limits?: Record<string, unknown>;
    storage?: Record<string, unknown>;
    workers?: number;
  } = {},
): Promise<AuthRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-auth-it-'));
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, opts.policy ?? (await basePolicy()));
  const auth = { issuer: ISSUER, service: SERVICE, signingKeyFile: 'signing-key.pem', policyFile: 'policy.yaml', ...opts.auth };
  const config = join(dir, 'config.yaml');
  const sections = { ...(opts.http ? { http: opts.http } : {}), ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.storage ? { storage: opts.storage } : {}) };
  await writeFile(config, stringify({ log: { level: 'debug' }, auth, ...sections }));
  const berth = await startBerth({ config, storage: join(dir, 'data'), ...(opts.workers ? { workers: opts.workers } : {}) });
  return {
    berth,
    url: berth.url,
    host: berth.host,
    dir,
    policyFile,
    async writePolicy(text) {
      await writeFile(`${policyFile}.tmp`, text);
      await rename(`${policyFile}.tmp`, policyFile);
    },
    async settings() {
      const { key } = await loadSigningKey(join(dir, 'signing-key.pem'), false);
      return { issuer: ISSUER, service: SERVICE, tokenTtlS: 300, keys: buildKeySet(key, []) };
    },
    async stop() {
      await berth.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

export interface TokenResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** `GET /token` with the given scopes (each a separate `scope` parameter) and optional Basic credentials. */
export async function getToken(base: string, scopes: string[], authorization?: string, extra = ''): Promise<TokenResult> {
  const q = [`service=${encodeURIComponent(SERVICE)}`, ...scopes.map((s) => `scope=${encodeURIComponent(s)}`)].join('&');
  const res = await fetch(`${base}/token?${q}${extra}`, { headers: authorization ? { Authorization: authorization } : {} });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** The token of a successful `GET /token`; throws otherwise. */
export async function tokenFor(base: string, scopes: string[], authorization?: string): Promise<string> {
  const r = await getToken(base, scopes, authorization);
  if (r.status !== 200) throw new Error(`GET /token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** A registry request with an optional Bearer token. */
export async function call(base: string, method: string, path: string, token?: string, body?: Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

/** Pushes `data` as a blob into `repo` with one POST and one PUT; returns its digest. */
export async function pushBlob(base: string, repo: string, data: Buffer, token: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const start = await call(base, 'POST', `/v2/${repo}/blobs/uploads/`, token);
  if (start.status !== 202) throw new Error(`POST upload in ${repo}: ${start.status} ${start.text}`);
  const location = new URL(start.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  const put = await call(base, 'PUT', `${location.pathname}${location.search}`, token, data, { 'Content-Type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`PUT upload in ${repo}: ${put.status} ${put.text}`);
  return digest;
}

/** Pushes a tiny image (one layer, a config) as `repo:tag`. */
export async function pushImage(base: string, repo: string, tag: string, token: string, seed = repo): Promise<string> {
  const layer = Buffer.from(`layer of ${seed}\n`);
  const layerDigest = await pushBlob(base, repo, layer, token);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] } }));
  const configDigest = await pushBlob(base, repo, config, token);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const res = await call(base, 'PUT', `/v2/${repo}/manifests/${tag}`, token, manifest, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${tag}: ${res.status} ${res.text}`);
  return layerDigest;
}

/** The log lines of the process, as text (for checks that nothing secret was logged). */
export function logText(r: AuthRegistry): string {
  return r.berth.logs.map((l) => JSON.stringify(l)).join('\n');
}

/** Reads a file as text (small wrapper so tests read policy back). */
export const readText = (file: string): Promise<string> => readFile(file, 'utf8');
