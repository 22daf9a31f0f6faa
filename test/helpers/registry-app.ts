/**
 * An in-process registry on a free loopback port, over the storage driver named by `BERTH_TEST_STORAGE`
 * (`filesystem`, the default, on a temp directory; `memory`; or `s3`, on the test's S3 server), and a raw HTTP client that sends paths exactly as
 * written (fetch would normalise `%2e%2e`), for request-table tests. `npm test` runs the request tables with each
 * driver (jest.config.js).
 */
import { request as httpRequest } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG, type RegistryConfig } from '../../src/shared/registry-config.js';
import { startRegistry, type StartDeps } from '../../src/registry/server.js';
import type { StorageDriver } from '../../src/registry/storage/driver.js';
import { openDriver } from '../../src/registry/storage/drivers/open.js';
import { silentLogger } from '../../src/shared/logger.js';
import { s3ServerFromEnv, s3TestConfig } from './s3-env.js';
import { storageDriverFromEnv } from './storage-env.js';

export interface TestRegistry {
  url: string;
  /** The filesystem driver's folder (created, and empty, with the memory driver too). */
  root: string;
  config: RegistryConfig;
  /** Every file in storage below `dir` (store paths relative to it, sorted), whichever the driver. */
  files(dir?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startTestRegistry(
  patch: (c: RegistryConfig) => RegistryConfig = (c) => c,
  createAuth?: StartDeps['createAuth'],
): Promise<TestRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'berth-test-'));
  const config = patch({
    ...DEFAULT_CONFIG,
    http: { ...DEFAULT_CONFIG.http, addr: '127.0.0.1:0' },
    storage: { ...DEFAULT_CONFIG.storage, ...storageFromEnv(), root },
  });
  const driver = await openDriver(config.storage);
  const running = await startRegistry({ config, logger: silentLogger(), createAuth, driver });
  return {
    url: `http://${running.address}`,
    root,
    config,
    files: (dir = '') => driverFiles(driver, dir),
    async close() {
      await running.close();
      (driver as { destroy?: () => void }).destroy?.();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The driver `BERTH_TEST_STORAGE` names, with the test server's bucket (under a new prefix) for `s3`. */
function storageFromEnv(): Pick<RegistryConfig['storage'], 'driver' | 's3'> {
  const driver = storageDriverFromEnv();
  return driver === 's3' ? { driver, s3: s3TestConfig(s3ServerFromEnv()) } : { driver };
}

/** Every file below `dir` in a driver, relative to `dir`, sorted. */
export async function driverFiles(driver: StorageDriver, dir = ''): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await driver.list(d)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(d ? `${d}/${e.name}` : e.name, path);
      else out.push(path);
    }
  };
  await walk(dir, '');
  return out.sort();
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
}

/** Sends one request with the path byte-for-byte as given. */
export function send(base: string, method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers: Record<string, string> = { ...opts.headers };
    if (body && !opts.chunked && headers['Content-Length'] === undefined) headers['Content-Length'] = String(body.length);
    const req = httpRequest(
      { host: u.hostname, port: u.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buf,
            text: buf.toString('utf8'),
            json: () => JSON.parse(buf.toString('utf8')),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && opts.chunked) {
      // two writes so the body really goes out in chunks
      req.write(body.subarray(0, Math.floor(body.length / 2)));
      req.end(body.subarray(Math.floor(body.length / 2)));
    } else {
      req.end(body);
    }
  });
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function sha512(data: Buffer | string): string {
  return `sha512:${createHash('sha512').update(data).digest('hex')}`;
}

/** Every file below a directory (relative paths, sorted): to assert that bad input wrote nothing. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name), join(rel, e.name));
      else out.push(join(rel, e.name));
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** A client bound to one registry, with the few multi-step flows tests need. */
export class Client {
  constructor(readonly base: string) {}

  req(method: string, path: string, opts?: RequestOptions): Promise<Reply> {
    return send(this.base, method, path, opts);
  }

  /** Monolithic POST ?digest=: pushes a blob in one request. */
  async pushBlob(repo: string, data: Buffer | string): Promise<string> {
    const digest = sha256(data);
    const r = await this.req('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
      body: data,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (r.status !== 201) throw new Error(`pushBlob: ${r.status} ${r.text}`);
    return digest;
  }

  async openUpload(repo: string): Promise<string> {
    const r = await this.req('POST', `/v2/${repo}/blobs/uploads/`);
    if (r.status !== 202) throw new Error(`openUpload: ${r.status} ${r.text}`);
    return r.headers.location as string;
  }

  /** Pushes a small image (config + one layer) and its manifest under `tag`; returns the manifest digest. */
  async pushImage(repo: string, tag: string, layer = `layer of ${repo}:${tag}`, extra: object = {}): Promise<ImageRef> {
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', tag });
    const configDigest = await this.pushBlob(repo, config);
    const layerDigest = await this.pushBlob(repo, layer);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: Buffer.byteLength(layer) }],
      ...extra,
    });
    const r = await this.req('PUT', `/v2/${repo}/manifests/${tag}`, {
      body: manifest,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    if (r.status !== 201) throw new Error(`pushImage: ${r.status} ${r.text}`);
    return { digest: sha256(manifest), manifest, configDigest, layerDigest, size: Buffer.byteLength(manifest) };
  }
}

export interface ImageRef {
  digest: string;
  manifest: string;
  configDigest: string;
  layerDigest: string;
  size: number;
}
