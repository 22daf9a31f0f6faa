/**
 * Writes test images without any network or tool: an OCI image layout directory (`oci-layout`, `index.json`,
 * `blobs/sha256/…`) holding a multi-architecture index whose images each have a config and 1–2 gzip'd tar
 * layers of real files. skopeo (`oci:DIR:TAG`), podman, buildah and crane read it. Content is derived from a
 * seed, so the same options give the same digests; payloads are incompressible, so sizes are honest.
 * Also reads layouts back (what skopeo or crane wrote), to compare what went through a registry.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createTar, readTarFiles, type TarEntry } from './tar.js';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Platform {
  os: string;
  architecture: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface TestLayer {
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar (the config's `rootfs.diff_ids` entry). */
  diffId: string;
  /** The regular files in this layer, by path. */
  files: Map<string, Buffer>;
}

export interface TestPlatformImage {
  platform: Platform;
  manifest: Descriptor;
  config: Descriptor;
  layers: TestLayer[];
}

export interface TestImage {
  /** The layout directory. */
  dir: string;
  tag: string;
  /** `oci:DIR:TAG`, as skopeo and podman name it. */
  reference: string;
  /** The multi-architecture index the tag points to. */
  index: Descriptor;
  images: TestPlatformImage[];
}

export interface TestImageOptions {
  /** Tag recorded as `org.opencontainers.image.ref.name` (default `latest`). */
  tag?: string;
  /** Default linux/amd64 and linux/arm64. */
  platforms?: Platform[];
  /** Layers per platform image, 1 or 2 (default 2). */
  layersPerImage?: 1 | 2;
  /** Bytes of incompressible payload in each layer (default 64 KiB). */
  layerSize?: number;
  /** Content seed: the same seed and options give the same digests (default `berth-test`). */
  seed?: string;
}

const DEFAULT_PLATFORMS: Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
];

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** `size` pseudo-random bytes determined by `seed` (AES-256-CTR keystream). */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(size));
}

function layerEntries(platform: Platform, layer: number, opts: Required<TestImageOptions>): TarEntry[] {
  const label = `${platform.os}/${platform.architecture}`;
  const payload = seededBytes(`${opts.seed}:${opts.tag}:${label}:${layer}`, opts.layerSize);
  const common: TarEntry[] = [{ name: 'data' }, { name: `data/payload-${layer}.bin`, content: payload }];
  const dirs: TarEntry[] = [{ name: 'etc' }, { name: 'etc/berth' }];
  if (layer > 0) {
    return [...dirs, { name: `etc/berth/layer-${layer}`, content: Buffer.from(`${label} ${layer}\n`) }, ...common];
  }
  return [
    ...dirs,
    { name: 'etc/berth/platform', content: Buffer.from(`${label}\n`) },
    { name: 'etc/berth/message', content: Buffer.from(`berth test image ${opts.tag} (${opts.seed})\n`) },
    ...common,
  ];
}

/** Collects blobs by digest while a layout is being built. */
type BlobSink = Map<string, Buffer>;

function addBlob(blobs: BlobSink, mediaType: string, data: Buffer, extra: Partial<Descriptor> = {}): Descriptor {
  const digest = sha256Digest(data);
  blobs.set(digest, data);
  return { mediaType, digest, size: data.length, ...extra };
}

function buildPlatformImage(blobs: BlobSink, platform: Platform, opts: Required<TestImageOptions>): TestPlatformImage {
  const layers: TestLayer[] = [];
  for (let i = 0; i < opts.layersPerImage; i++) {
    const tar = createTar(layerEntries(platform, i, opts));
    const descriptor = addBlob(blobs, MEDIA_TYPES.layerGzip, gzipSync(tar));
    layers.push({ descriptor, diffId: sha256Digest(tar), files: readTarFiles(tar) });
  }
  const configJson = {
    created: '1970-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/true'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: '1970-01-01T00:00:00Z', created_by: `berth test layer ${i}` })),
  };
  const config = addBlob(blobs, MEDIA_TYPES.config, Buffer.from(JSON.stringify(configJson)));
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers: layers.map((l) => l.descriptor),
  };
  const manifest = addBlob(blobs, MEDIA_TYPES.manifest, Buffer.from(JSON.stringify(manifestJson)), { platform });
  return { platform, manifest, config, layers };
}

/** Writes a complete OCI image layout for a multi-architecture test image into `dir`. */
export async function writeTestImage(dir: string, options: TestImageOptions = {}): Promise<TestImage> {
  const opts: Required<TestImageOptions> = {
    tag: options.tag ?? 'latest',
    platforms: options.platforms ?? DEFAULT_PLATFORMS,
    layersPerImage: options.layersPerImage ?? 2,
    layerSize: options.layerSize ?? 64 * 1024,
    seed: options.seed ?? 'berth-test',
  };
  const blobs: BlobSink = new Map();
  const images = opts.platforms.map((platform) => buildPlatformImage(blobs, platform, opts));
  const indexJson = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: images.map((i) => i.manifest) };
  const index = addBlob(blobs, MEDIA_TYPES.index, Buffer.from(JSON.stringify(indexJson)));
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [digest, data] of blobs) await writeFile(blobPath(dir, digest), data);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const tagged = { ...index, annotations: { 'org.opencontainers.image.ref.name': opts.tag } };
  await writeFile(join(dir, 'index.json'), JSON.stringify({ ...indexJson, manifests: [tagged] }));
  return { dir, tag: opts.tag, reference: `oci:${dir}:${opts.tag}`, index, images };
}

/**
 * {@link writeTestImage} into a new temporary directory with an all-lowercase path: podman names an image
 * pulled from `oci:DIR` after DIR, and an upper-case letter there is an invalid reference.
 */
export async function createTestImage(options: TestImageOptions = {}): Promise<TestImage> {
  const dir = join(tmpdir(), `berth-image-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { recursive: false });
  return writeTestImage(dir, options);
}

/** Path of a blob inside a layout. */
export function blobPath(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex) throw new Error(`not a digest: ${digest}`);
  return join(dir, 'blobs', algorithm, hex);
}

/** Reads a blob of a layout and checks that its bytes match its digest. */
export async function readLayoutBlob(dir: string, digest: string): Promise<Buffer> {
  const data = await readFile(blobPath(dir, digest));
  if (digest.startsWith('sha256:') && sha256Digest(data) !== digest) {
    throw new Error(`blob ${digest} in ${dir} does not match its digest`);
  }
  return data;
}

/** The descriptor a layout's `index.json` records for `tag` (or its only entry when `tag` is omitted). */
export async function resolveLayoutTag(dir: string, tag?: string): Promise<Descriptor> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found =
    tag === undefined
      ? index.manifests.length === 1
        ? index.manifests[0]
        : undefined
      : index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`tag ${tag ?? '(only entry)'} not found in ${join(dir, 'index.json')}`);
  return found;
}

/** The regular files of a gzip'd (or plain) tar layer, by path. */
export function layerFiles(layer: Buffer): Map<string, Buffer> {
  const isGzip = layer[0] === 0x1f && layer[1] === 0x8b;
  return readTarFiles(isGzip ? gunzipSync(layer) : layer);
}

/**
 * The chain ID of a stack of layers (OCI image spec, config.md): the identifier containerd and
 * containers/storage give the unpacked snapshot of the top layer.
 */
export function chainId(diffIds: readonly string[]): string {
  const [first, ...rest] = diffIds;
  if (first === undefined) throw new Error('chainId of no layers');
  return rest.reduce((chain, diffId) => sha256Digest(Buffer.from(`${chain} ${diffId}`)), first);
}
