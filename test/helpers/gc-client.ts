/**
 * A small OCI client over the HTTP API for the garbage-collection tests: pushes images (HEAD first and skip what
 * exists, as real clients do; a refused manifest is retried once with every layer uploaded again), pulls them back
 * checking every digest, and deletes them; plus a check that every stored blob file hashes to its name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** A pushed image as the client knows it. */
export interface PushedImage {
  repo: string;
  tag: string;
  digest: string;
  /** Blob digests (config and layers) with their bytes' digests verified on pull. */
  blobs: string[];
  /** Blobs only this image has (gone once it is deleted and collected). */
  unique: string[];
}

/** Shared layers: fixed contents many images (including deleted ones) reuse. */
export function sharedLayer(n: number): Buffer {
  return Buffer.from(`shared layer ${n} `.repeat(64));
}

async function uploadBlob(url: string, repo: string, bytes: Buffer, skipIfThere: boolean): Promise<void> {
  const digest = sha(bytes);
  if (skipIfThere && (await fetch(`${url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status === 200) return;
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
  const loc = new URL(start.headers.get('location')!, url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT blob: ${put.status} ${await put.text()}`);
}

/**
 * Pushes an image of a random unique layer, a random config and the given shared layers; resolves once the tag is
 * acknowledged (201), throws when the registry refuses it twice.
 */
export async function pushImage(url: string, repo: string, tag: string, shared: number[]): Promise<PushedImage> {
  const unique = randomBytes(256 + Math.floor(Math.random() * 2048));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }));
  const layers = [unique, ...shared.map(sharedLayer)];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(l), size: l.length })),
    }),
  );
  for (let attempt = 0; ; attempt++) {
    for (const b of [config, ...layers]) await uploadBlob(url, repo, b, attempt === 0);
    const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': MANIFEST_TYPE },
    });
    if (res.status === 201) break;
    const text = await res.text();
    if (attempt > 0 || res.status !== 400) throw new Error(`PUT manifest: ${res.status} ${text}`);
  }
  return {
    repo,
    tag,
    digest: sha(manifest),
    blobs: [sha(config), ...layers.map(sha)],
    unique: [sha(config), sha(unique), sha(manifest)],
  };
}

/** Pulls a tag and every blob, checking each digest; returns a problem, or undefined when all is well. */
export async function pullImage(url: string, image: PushedImage): Promise<string | undefined> {
  const res = await fetch(`${url}/v2/${image.repo}/manifests/${image.tag}`, { headers: { accept: MANIFEST_TYPE } });
  if (res.status !== 200) return `${image.repo}:${image.tag}: manifest ${res.status}`;
  const bytes = Buffer.from(await res.arrayBuffer());
  if (sha(bytes) !== image.digest) return `${image.repo}:${image.tag}: manifest digest ${sha(bytes)}`;
  for (const d of image.blobs) {
    const b = await fetch(`${url}/v2/${image.repo}/blobs/${d}`);
    if (b.status !== 200) return `${image.repo}:${image.tag}: blob ${d} ${b.status}`;
    const got = sha(Buffer.from(await b.arrayBuffer()));
    if (got !== d) return `${image.repo}:${image.tag}: blob ${d} served ${got}`;
  }
  return undefined;
}

export async function deleteImage(url: string, image: PushedImage): Promise<void> {
  const res = await fetch(`${url}/v2/${image.repo}/manifests/${image.digest}`, { method: 'DELETE' });
  if (res.status !== 202) throw new Error(`DELETE manifest: ${res.status}`);
}

/** Every file below `<root>/<dir>` (absolute paths). */
export async function filesBelow(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Stored blob files (also in the GC trash) whose bytes do not hash to their name. */
export async function corruptBlobs(root: string): Promise<string[]> {
  const bad: string[] = [];
  for (const file of [...(await filesBelow(root, 'blobs')), ...(await filesBelow(root, 'gc/trash/blobs'))]) {
    const hex = file.slice(file.lastIndexOf('/') + 1);
    if (sha(await readFile(file)) !== `sha256:${hex}`) bad.push(file);
  }
  return bad;
}

/** Whether the bytes of a digest are anywhere in the store (its own path or the GC trash). */
export async function onDisk(root: string, digest: string): Promise<boolean> {
  const hex = digest.slice('sha256:'.length);
  const rel = join('blobs', 'sha256', hex.slice(0, 2), hex);
  const there = async (p: string) => (await readFile(p).then(() => true).catch(() => false));
  return (await there(join(root, rel))) || (await there(join(root, 'gc', 'trash', rel)));
}
