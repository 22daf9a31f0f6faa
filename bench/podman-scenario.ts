/**
 * podman scenarios (issue 15). The big layer is wrapped in a one-file tar (containers-storage keeps layers
 * unpacked, so the layer must be a real tar), written as an OCI layout and loaded into a private podman store
 * (`skopeo copy oci:… containers-storage:…`, untimed). Then, per server:
 * - push: `podman push --compression-format F localhost/bench/podman:TAG docker://HOST/bench/podman:TAG`. podman
 *   always compresses for a registry (it re-creates the tar from the unpacked layer and compresses it on the
 *   fly); zstd by default here, gzip (podman's own default) with `--podman-compression gzip`;
 * - pull: `podman pull docker://…` into a fresh, initialized store. podman has no pull without unpacking: the
 *   figure includes staging the compressed layer in a temporary file, decompressing it and unpacking the tar into
 *   the vfs store, so it is the client's cost at least as much as the registry's.
 * Throughput is counted in uncompressed tar bytes (zstd leaves random data at its size).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodmanCompression } from './args.js';
import type { LayerFile } from './blob-ops.js';
import { measureOn, type Measured, type RoundEnv } from './measure.js';
import { createPodmanStore, type BenchPodman } from './podman.js';
import type { Recorder } from './recorder.js';
import { runTool } from './run.js';
import { writeOciLayout } from './skopeo.js';
import { MiB, mibPerSecond } from './stats.js';
import { ISSUE_15 } from './targets.js';
import { SERVER_NAMES, type ServerName } from './types.js';

const PODMAN_TIMEOUT_MS = 300_000;
const REPO = 'bench/podman';

/** Declares the podman push and pull rows. */
export function declarePodmanScenarios(rec: Recorder, sizeLabel: string, compression: PodmanCompression): void {
  const target = { kind: 'ratio', min: ISSUE_15.clientRatio } as const;
  const base = { unit: 'MiB/s', better: 'higher', cpuUnit: 'CPU s/GiB', target } as const;
  rec.declare({ ...base, id: 'podman-push', title: `podman push ${sizeLabel} (containers-storage → docker://, ${compression})` });
  rec.declare({
    ...base,
    id: 'podman-pull',
    title: `podman pull ${sizeLabel} (into a fresh vfs store: ${compression} decompressed, tar unpacked)`,
  });
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Wraps `layer`'s bytes as the one file `layer.bin` of a tar in `dir`; returns the tar as a layer. */
export async function tarLayer(layer: LayerFile, dir: string): Promise<LayerFile> {
  const src = join(dir, 'tar-source');
  await mkdir(src, { recursive: true });
  await link(layer.path, join(src, 'layer.bin'));
  const path = join(dir, 'layer.tar');
  await runTool('tar', ['--create', '--file', path, '--directory', src, '--owner=0', '--group=0', 'layer.bin'], PODMAN_TIMEOUT_MS);
  await rm(src, { recursive: true, force: true });
  const { size } = await stat(path);
  return { path, digest: await sha256File(path), size };
}

function record(env: RoundEnv, id: string, name: ServerName, bytes: number, m: Measured, push: boolean): void {
  env.rec.add(id, name, mibPerSecond(bytes, m.ms), m.cpuSeconds / (bytes / (1024 * MiB)));
  if (push) env.rec.add('rss-push', name, m.peakRssKiB / 1024);
}

/** Loads the tar layer's image into `store` as `localhost/bench/podman:TAG`; returns that name. */
async function loadImage(store: BenchPodman, layer: LayerFile, work: string, tag: string): Promise<string> {
  const layout = await writeOciLayout(join(work, 'layout'), layer, tag);
  const name = `localhost/${REPO}:${tag}`;
  await store.copyIn(layout, name, PODMAN_TIMEOUT_MS);
  await rm(join(work, 'layout'), { recursive: true, force: true });
  return name;
}

async function pushAll(env: RoundEnv, layer: LayerFile, work: string, tag: string): Promise<void> {
  const pusher = await createPodmanStore(join(work, 'pusher'));
  try {
    const image = await loadImage(pusher, layer, work, tag);
    for (const name of SERVER_NAMES) {
      const dest = `docker://${env.servers[name].host}/${REPO}:${tag}`;
      const args = ['push', '--quiet', '--tls-verify=false', '--compression-format', env.opts.podmanCompression, image, dest];
      const m = await measureOn(env, 'podman-push', env.servers[name], () => pusher.podman(args, PODMAN_TIMEOUT_MS).then(() => undefined));
      if (m) record(env, 'podman-push', name, layer.size, m, true);
    }
  } finally {
    await pusher.remove();
  }
}

async function pullAll(env: RoundEnv, layer: LayerFile, work: string, tag: string): Promise<void> {
  for (const name of SERVER_NAMES) {
    const puller = await createPodmanStore(join(work, `puller-${name}`));
    try {
      const args = ['pull', '--quiet', '--tls-verify=false', `docker://${env.servers[name].host}/${REPO}:${tag}`];
      const m = await measureOn(env, 'podman-pull', env.servers[name], () => puller.podman(args, PODMAN_TIMEOUT_MS).then(() => undefined));
      if (m) record(env, 'podman-pull', name, layer.size, m, false);
    } finally {
      await puller.remove();
    }
  }
}

/** One round: push the layer's image to each server with podman, then pull it back from each into a fresh store. */
export async function podmanRound(env: RoundEnv, layer: LayerFile): Promise<void> {
  const tag = `r${env.round}`;
  const work = join(env.dir, 'podman');
  await mkdir(work, { recursive: true });
  try {
    const tar = await tarLayer(layer, work);
    await pushAll(env, tar, work, tag);
    await rm(tar.path, { force: true });
    await pullAll(env, tar, work, tag);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
