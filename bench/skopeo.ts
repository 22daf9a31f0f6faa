/**
 * skopeo scenarios: an OCI image layout holding one big layer (hard-linked from the layer file, not copied),
 * pushed to a registry with `skopeo copy oci:… docker://…`, and pulled back with `docker://… dir:…`.
 */
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerFile } from './blob-ops.js';
import { runTool } from './run.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function digestOf(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The config and manifest (exact bytes) of a one-layer image whose layer is an uncompressed tar media type. */
export function imageFor(layer: LayerFile): { config: Buffer; manifest: Buffer } {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size }],
    }),
  );
  return { config, manifest };
}

/** Writes an OCI layout at `dir` with `layer` under `tag`; returns the skopeo reference `oci:DIR:TAG`. */
export async function writeOciLayout(dir: string, layer: LayerFile, tag: string): Promise<string> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const { config, manifest } = imageFor(layer);
  const blobPath = (digest: string) => join(blobs, digest.slice('sha256:'.length));
  await link(layer.path, blobPath(layer.digest)).catch(() => copyFile(layer.path, blobPath(layer.digest)));
  await writeFile(blobPath(digestOf(config)), config);
  await writeFile(blobPath(digestOf(manifest)), manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: digestOf(manifest),
        size: manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  return `oci:${dir}:${tag}`;
}

/** `skopeo copy` between two references, plain HTTP allowed on both sides. */
export async function skopeoCopy(from: string, to: string, timeoutMs: number): Promise<void> {
  await runTool(
    'skopeo',
    ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', from, to],
    timeoutMs,
  );
}
