/**
 * The store the GC benchmark works on, built through the HTTP API of a real `berth serve`: `images` images of
 * `blobsPerImage` blobs each (the manifest's own bytes, a config and layers of 1 KiB, all distinct), spread over
 * 50 repositories and tagged; a share of them then deleted by digest (as `crane delete` does), which leaves their
 * blobs unreferenced. Every blob is then made two hours old, so a 1 h grace period does not protect them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, utimes } from 'node:fs/promises';
import type { Agent } from 'node:http';
import { join } from 'node:path';
import { expectStatus, send } from './http-client.js';

const TIMEOUT_MS = 60_000;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const REPOSITORIES = 50;

export interface StoreShape {
  images: number;
  /** Blobs per image, its manifest's bytes included (so images × blobsPerImage blobs in all). */
  blobsPerImage: number;
  /** Images deleted after the push. */
  deleted: number;
  layerBytes: number;
}

export interface PushedImage {
  repo: string;
  tag: string;
  manifestDigest: string;
  blobs: string[];
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** One POST with `?digest=` (a monolithic upload in a single request). */
export async function postBlob(base: string, repo: string, data: Buffer, agent: Agent): Promise<string> {
  const digest = sha256(data);
  const url = new URL(`/v2/${repo}/blobs/uploads/?digest=${digest}`, base);
  const res = await send(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length },
    body: data,
    agent,
    timeoutMs: TIMEOUT_MS,
  });
  expectStatus(res, 201, 'blob POST');
  return digest;
}

/** Pushes an image of `layers` random layers of `layerBytes` (plus its config) under repo:tag. */
export async function pushImage(base: string, repo: string, tag: string, layers: number, layerBytes: number, agent: Agent): Promise<PushedImage> {
  const layerBlobs = Array.from({ length: layers }, () => randomBytes(layerBytes));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: new Date().toISOString(), nonce: randomBytes(8).toString('hex') }));
  const descriptors = [];
  for (const l of layerBlobs) descriptors.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await postBlob(base, repo, l, agent), size: l.length });
  const configDigest = await postBlob(base, repo, config, agent);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: descriptors,
    }),
  );
  const url = new URL(`/v2/${repo}/manifests/${tag}`, base);
  const put = await send(url, { method: 'PUT', headers: { 'Content-Type': MANIFEST_TYPE, 'Content-Length': manifest.length }, body: manifest, agent, timeoutMs: TIMEOUT_MS });
  expectStatus(put, 201, `PUT ${url.pathname}`);
  const manifestDigest = sha256(manifest);
  return { repo, tag, manifestDigest, blobs: [manifestDigest, configDigest, ...descriptors.map((d) => d.digest)] };
}

/** Pulls an image: its manifest, then each blob it names; returns the bytes read. */
export async function pullImage(base: string, image: PushedImage, agent: Agent): Promise<number> {
  const m = await send(new URL(`/v2/${image.repo}/manifests/${image.tag}`, base), { method: 'GET', headers: { Accept: MANIFEST_TYPE }, agent, timeoutMs: TIMEOUT_MS });
  expectStatus(m, 200, 'manifest GET');
  let bytes = m.body.length;
  for (const digest of image.blobs.slice(1)) {
    const b = await send(new URL(`/v2/${image.repo}/blobs/${digest}`, base), { method: 'GET', agent, timeoutMs: TIMEOUT_MS });
    expectStatus(b, 200, 'blob GET');
    bytes += b.body.length;
  }
  return bytes;
}

/** Runs `task(i)` for i in [0, n) with `workers` at a time. */
export async function inParallel(n: number, workers: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** Builds the store; returns the images still tagged. */
export async function buildStore(base: string, shape: StoreShape, agent: Agent, log: (line: string) => void): Promise<PushedImage[]> {
  const images: PushedImage[] = new Array(shape.images);
  let done = 0;
  await inParallel(shape.images, 8, async (i) => {
    images[i] = await pushImage(base, `gc/r${i % REPOSITORIES}`, `t${i}`, shape.blobsPerImage - 2, shape.layerBytes, agent);
    if (++done % 200 === 0) log(`  gc store: ${done}/${shape.images} images pushed`);
  });
  const gone = images.slice(0, shape.deleted);
  await inParallel(gone.length, 8, async (i) => {
    const { repo, manifestDigest } = gone[i]!;
    expectStatus(await send(new URL(`/v2/${repo}/manifests/${manifestDigest}`, base), { method: 'DELETE', agent, timeoutMs: TIMEOUT_MS }), 202, 'manifest DELETE');
  });
  return images.slice(shape.deleted);
}

/** Sets every blob's mtime `ageMs` into the past (the grace period counts from a blob's mtime). */
export async function ageBlobs(storage: string, ageMs: number): Promise<number> {
  const when = new Date(Date.now() - ageMs);
  let n = 0;
  const root = join(storage, 'blobs');
  for (const alg of await readdir(root)) {
    for (const prefix of await readdir(join(root, alg))) {
      for (const name of await readdir(join(root, alg, prefix))) {
        await utimes(join(root, alg, prefix, name), when, when);
        n++;
      }
    }
  }
  return n;
}
