/**
 * The registry operations the benchmark times, spoken in plain OCI Distribution HTTP: open an upload (POST),
 * finish it with one PUT carrying the whole body (monolithic) or with PATCH chunks carrying `Content-Range`
 * then an empty PUT (chunked), pull a blob streamed through sha256 (verified, never held), put a manifest.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Agent } from 'node:http';
import { expectStatus, location, send } from './http-client.js';
import { runTool } from './run.js';

/** A layer stored in a file, with its digest (`sha256:…`) and size. */
export interface LayerFile {
  path: string;
  digest: string;
  size: number;
}

/** Generous per-request time limit: a 1 GiB transfer at a slow 10 MiB/s still fits. */
export const BLOB_TIMEOUT_MS = 120_000;
const SMALL_TIMEOUT_MS = 30_000;
const READ_BLOCK = 1024 * 1024;

/** POST /v2/<repo>/blobs/uploads/ and return the session URL. */
export async function openUpload(base: string, repo: string, agent: Agent): Promise<URL> {
  const url = new URL(`/v2/${repo}/blobs/uploads/`, base);
  const res = await send(url, { method: 'POST', headers: { 'Content-Length': 0 }, agent, timeoutMs: SMALL_TIMEOUT_MS });
  expectStatus(res, 202, `POST ${url.pathname}`);
  return location(res, url, 'POST upload');
}

/** The session URL with `digest=` added (keeping Distribution's `_state`). */
export function withDigest(session: URL, digest: string): URL {
  const url = new URL(session);
  url.searchParams.set('digest', digest);
  return url;
}

/** POST, then one PUT with the whole file as the body. */
export async function pushMonolithic(base: string, repo: string, layer: LayerFile, agent: Agent, timeoutMs = BLOB_TIMEOUT_MS): Promise<void> {
  const session = await openUpload(base, repo, agent);
  const res = await send(withDigest(session, layer.digest), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': layer.size },
    body: createReadStream(layer.path, { highWaterMark: READ_BLOCK }),
    agent,
    timeoutMs,
  });
  expectStatus(res, 201, 'monolithic PUT');
}

/** POST, PATCH chunks of `chunkBytes` with `Content-Range`, then an empty PUT with the digest. */
export async function pushChunked(
  base: string,
  repo: string,
  layer: LayerFile,
  chunkBytes: number,
  agent: Agent,
): Promise<void> {
  let session = await openUpload(base, repo, agent);
  for (let start = 0; start < layer.size; start += chunkBytes) {
    const end = Math.min(start + chunkBytes, layer.size) - 1;
    const res = await send(session, {
      method: 'PATCH',
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${start}-${end}`,
        'Content-Length': end - start + 1,
      },
      body: createReadStream(layer.path, { start, end, highWaterMark: READ_BLOCK }),
      agent,
      timeoutMs: BLOB_TIMEOUT_MS,
    });
    expectStatus(res, 202, `PATCH ${start}-${end}`);
    session = location(res, session, 'PATCH');
  }
  const res = await send(withDigest(session, layer.digest), {
    method: 'PUT',
    headers: { 'Content-Length': 0 },
    agent,
    timeoutMs: BLOB_TIMEOUT_MS,
  });
  expectStatus(res, 201, 'closing PUT');
}

/**
 * GET a blob with curl into /dev/null: the timed pull. curl is the lightest client here (Node's http client tops
 * out near 800 MiB/s on this machine, hashing or not), so the figure is the server's; the status and byte count
 * are checked, and {@link pullVerified} checks the digest in a second, untimed GET.
 */
export async function pullWithCurl(base: string, repo: string, layer: LayerFile, followRedirect = false): Promise<void> {
  const url = new URL(`/v2/${repo}/blobs/${layer.digest}`, base);
  const follow = followRedirect ? ['--location'] : [];
  const { stdout } = await runTool(
    'curl',
    ['--silent', '--show-error', ...follow, '--output', '/dev/null', '--write-out', '%{http_code} %{size_download}', url.href],
    BLOB_TIMEOUT_MS,
  );
  if (stdout.trim() !== `200 ${layer.size}`) {
    throw new Error(`GET ${url.pathname}: expected "200 ${layer.size}" (status, bytes), curl reported "${stdout}"`);
  }
}

/** GET a blob, hashing the stream as it arrives; throws unless size and digest match. */
export async function pullVerified(base: string, repo: string, layer: LayerFile, agent: Agent): Promise<void> {
  const url = new URL(`/v2/${repo}/blobs/${layer.digest}`, base);
  let size = 0;
  const hash = createHash('sha256');
  const res = await send(url, {
    method: 'GET',
    agent,
    timeoutMs: BLOB_TIMEOUT_MS,
    consume: async (stream) => {
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    },
  });
  expectStatus(res, 200, `GET ${url.pathname}`);
  const digest = `sha256:${hash.digest('hex')}`;
  if (size !== layer.size || digest !== layer.digest) {
    throw new Error(`pulled ${size} bytes with ${digest}, expected ${layer.size} bytes with ${layer.digest}`);
  }
}

/** POST, then one PUT with a small in-memory blob. */
export async function pushBuffer(base: string, repo: string, data: Buffer, agent: Agent): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const session = await openUpload(base, repo, agent);
  const res = await send(withDigest(session, digest), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length },
    body: data,
    agent,
    timeoutMs: SMALL_TIMEOUT_MS,
  });
  expectStatus(res, 201, 'blob PUT');
  return digest;
}

/** PUT a manifest under a tag. */
export async function putManifest(
  base: string,
  repo: string,
  tag: string,
  manifest: Buffer,
  mediaType: string,
  agent: Agent,
): Promise<void> {
  const url = new URL(`/v2/${repo}/manifests/${tag}`, base);
  const res = await send(url, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType, 'Content-Length': manifest.length },
    body: manifest,
    agent,
    timeoutMs: SMALL_TIMEOUT_MS,
  });
  expectStatus(res, 201, `PUT ${url.pathname}`);
}
