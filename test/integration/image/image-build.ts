/**
 * Runs `scripts/image/build.sh` and reads what it wrote: the OCI layout's index, each platform's manifest
 * and config, and a platform's layers unpacked into a root file system (as a runtime would, in order).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/berth-process.js';
import { runOk, tool } from '../../helpers/tools.js';

export const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'image', 'build.sh');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  config: {
    User: string;
    Entrypoint: string[];
    Cmd: string[];
    Env: string[];
    WorkingDir: string;
    ExposedPorts: Record<string, object>;
    Volumes: Record<string, object>;
    Labels: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
}

export interface PlatformImage {
  manifestDigest: string;
  architecture: string;
  layers: Descriptor[];
  config: ImageConfig;
}

export interface BuiltImage {
  dir: string;
  tag: string;
  /** Digest of the multi-architecture index (the script's last stdout line). */
  digest: string;
  images: PlatformImage[];
}

/** Builds the image into `dir` with `args` (e.g. `--push REF --insecure`); 10 min at most. */
export async function buildImage(dir: string, args: string[] = []): Promise<BuiltImage> {
  const stdout = await runOk('bash', [BUILD_SCRIPT, '--out', dir, '--tag', 'test', ...args], {
    timeoutMs: 600_000,
  });
  const digest = stdout.trim().split('\n').pop() ?? '';
  return { ...(await readLayout(dir)), digest };
}

export function readBlob(dir: string, digest: string): Promise<Buffer> {
  return readFile(join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
}

async function readJson<T>(dir: string, digest: string): Promise<T> {
  return JSON.parse((await readBlob(dir, digest)).toString()) as T;
}

async function readLayout(dir: string): Promise<Omit<BuiltImage, 'digest'>> {
  const layout = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const top = layout.manifests[0];
  if (!top) throw new Error(`${dir}/index.json names no manifest`);
  const index = await readJson<{ manifests: Descriptor[] }>(dir, top.digest);
  const images = await Promise.all(
    index.manifests.map(async (d) => {
      const manifest = await readJson<{ config: Descriptor; layers: Descriptor[] }>(dir, d.digest);
      return {
        manifestDigest: d.digest,
        architecture: d.platform?.architecture ?? '',
        layers: manifest.layers,
        config: await readJson<ImageConfig>(dir, manifest.config.digest),
      };
    }),
  );
  return { dir, tag: top.annotations?.['org.opencontainers.image.ref.name'] ?? '', images };
}

/** Unpacks the layers of `image` into `rootfs`, in order, keeping owners and modes (the tests run as root). */
export async function unpackRootfs(built: BuiltImage, image: PlatformImage, rootfs: string): Promise<void> {
  await mkdir(rootfs, { recursive: true });
  for (const layer of image.layers) {
    const blob = join(built.dir, 'blobs', 'sha256', layer.digest.replace(/^sha256:/, ''));
    await runOk(tool('tar'), ['-xzf', blob, '-C', rootfs, '--numeric-owner', '--same-owner', '-p']);
  }
}

/** `tar -tv` of one layer: owner, mode and name of every entry. */
export async function listLayer(built: BuiltImage, layer: Descriptor): Promise<string[]> {
  const blob = join(built.dir, 'blobs', 'sha256', layer.digest.replace(/^sha256:/, ''));
  const out = await runOk(tool('tar'), ['-tvzf', blob, '--numeric-owner'], { timeoutMs: 120_000 });
  return out.split('\n').filter((line) => line !== '');
}
