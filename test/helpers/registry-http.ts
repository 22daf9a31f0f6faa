/**
 * A neutral observer for client tests: reads what a registry holds with plain HTTP (no client library), so a
 * client's claim ("pushed digest X") is checked against the registry itself.
 */
import { createHash } from 'node:crypto';

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface FetchedManifest {
  status: number;
  /** The exact bytes served. */
  body: Buffer;
  mediaType: string | null;
  /** sha256 of the bytes served. */
  digest: string;
  /** The `Docker-Content-Digest` header. */
  headerDigest: string | null;
}

/** `GET /v2/<repo>/manifests/<reference>` accepting every manifest type. */
export async function fetchManifest(baseUrl: string, repo: string, reference: string): Promise<FetchedManifest> {
  const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    body,
    mediaType: res.headers.get('content-type'),
    digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
    headerDigest: res.headers.get('docker-content-digest'),
  };
}

/** `GET /v2/<repo>/blobs/<digest>`: the blob's bytes, or an error naming the status. */
export async function fetchBlob(baseUrl: string, repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${baseUrl}/v2/${repo}/blobs/${digest}`);
  if (res.status !== 200) throw new Error(`GET blob ${repo}@${digest}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** `GET /v2/<repo>/tags/list`: the tags, or `[]` when the repository is unknown (404). */
export async function fetchTags(baseUrl: string, repo: string): Promise<string[]> {
  const res = await fetch(`${baseUrl}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  if (res.status !== 200) throw new Error(`GET tags of ${repo}: HTTP ${res.status}`);
  const body = (await res.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}
