/**
 * Blob scenarios, one round at a time, each run on Berth then on Distribution: a big layer pushed monolithic
 * and chunked and pulled back with a plain HTTP client, the same with skopeo, and many small layers pushed by
 * concurrent clients. Every big push also feeds the peak-RSS scenario.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pullVerified, pullWithCurl, pushBuffer, pushChunked, pushMonolithic, type LayerFile } from './blob-ops.js';
import { keepAliveAgent } from './http-client.js';
import { randomBlobs } from './layer-file.js';
import { measureOn, type Measured, type RoundEnv } from './measure.js';
import type { Recorder } from './recorder.js';
import { skopeoCopy, writeOciLayout } from './skopeo.js';
import { MiB, mibPerSecond } from './stats.js';
import { ISSUE_15 } from './targets.js';
import { SERVER_NAMES, type ServerName, type Target } from './types.js';

/** The three big layer files: one per push method, so no push finds its blob already stored. */
export interface BigLayers {
  monolithic: LayerFile;
  chunked: LayerFile;
  skopeo: LayerFile;
}

const SKOPEO_TIMEOUT_MS = 300_000;
/** Issue 15: peak RSS during a big push, per worker (the rounds run Berth with `--workers 1`; issue 2 had 150). */
export const BERTH_MAX_RSS_MIB = ISSUE_15.rssPerWorkerMiB;

/** `1 GiB`, `64 MiB`. */
export function sizeLabel(bytes: number): string {
  return bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0 ? `${bytes / (1024 * MiB)} GiB` : `${bytes / MiB} MiB`;
}

/** Which big-layer scenario groups run. */
export interface BlobPhases {
  http: boolean;
  skopeo: boolean;
}

/**
 * Declares the big-layer scenarios of the phases that run. When the machine limits were measured
 * (`lowestLimitMiBps`), a floor joins the ratio target of the plain-HTTP rows: issue 15's ≥ 1.25× and ≥ 40% of
 * the lowest limit for the pushes, issue 2's ≥ 1.0× and ≥ 80% for the pull (issue 15 sets no pull target).
 */
export function declareBlobScenarios(
  rec: Recorder,
  phases: BlobPhases,
  layerBytes: number,
  chunkMiB: number,
  lowestLimitMiBps?: number,
): void {
  const size = sizeLabel(layerBytes);
  const httpTarget = (min: number, share: number): Target =>
    lowestLimitMiBps === undefined
      ? { kind: 'ratio', min }
      : { kind: 'ratioAndFloor', min, floor: lowestLimitMiBps * share, floorLabel: `${share * 100}% of lowest machine limit` };
  const push = httpTarget(ISSUE_15.httpPushRatio, ISSUE_15.httpPushLimitShare);
  const base = { unit: 'MiB/s', better: 'higher', cpuUnit: 'CPU s/GiB' } as const;
  if (phases.http) {
    rec.declare({ ...base, id: 'push-monolithic', title: `push ${size}, POST + one PUT`, target: push });
    rec.declare({ ...base, id: 'push-chunked', title: `push ${size}, PATCH ${chunkMiB} MiB chunks`, target: push });
    const pull = httpTarget(1, 0.8);
    rec.declare({ ...base, id: 'pull', title: `pull ${size}, GET with curl (digest verified after)`, target: pull });
  }
  if (phases.skopeo) {
    const client: Target = { kind: 'ratio', min: ISSUE_15.clientRatio };
    rec.declare({ ...base, id: 'skopeo-push', title: `skopeo push ${size} (oci: → docker://)`, target: client });
    rec.declare({ ...base, id: 'skopeo-pull', title: `skopeo pull ${size} (docker:// → dir:)`, target: client });
  }
  rec.declare({
    id: 'rss-push',
    title: `peak RSS during the ${size} pushes (max)`,
    unit: 'MiB',
    better: 'lower',
    aggregate: 'max',
    target: { kind: 'berthMax', max: BERTH_MAX_RSS_MIB },
  });
}

/** Records a big-layer transfer: throughput, CPU per GiB, and (for pushes) the peak RSS. */
function recordTransfer(env: RoundEnv, id: string, name: ServerName, bytes: number, m: Measured, push: boolean): void {
  env.rec.add(id, name, mibPerSecond(bytes, m.ms), m.cpuSeconds / (bytes / (1024 * MiB)));
  if (push) env.rec.add('rss-push', name, m.peakRssKiB / 1024);
}

/** One round of the plain-HTTP big-layer scenarios: monolithic push, pull (then an untimed verified pull), chunked push. */
export async function blobRound(env: RoundEnv, layers: BigLayers): Promise<void> {
  const chunkBytes = env.opts.chunkMiB * MiB;
  const repo = { monolithic: 'bench/monolithic', chunked: 'bench/chunked' };
  for (const name of SERVER_NAMES) {
    const { url } = env.servers[name];
    const m = await measureOn(env, 'push-monolithic', env.servers[name], () =>
      pushMonolithic(url, repo.monolithic, layers.monolithic, env.agent),
    );
    if (m) recordTransfer(env, 'push-monolithic', name, layers.monolithic.size, m, true);
  }
  for (const name of SERVER_NAMES) {
    const { url } = env.servers[name];
    const m = await measureOn(env, 'pull', env.servers[name], () => pullWithCurl(url, repo.monolithic, layers.monolithic));
    const verified = m && (await verify(env, name, () => pullVerified(url, repo.monolithic, layers.monolithic, env.agent)));
    if (m && verified) recordTransfer(env, 'pull', name, layers.monolithic.size, m, false);
  }
  for (const name of SERVER_NAMES) {
    const { url } = env.servers[name];
    const m = await measureOn(env, 'push-chunked', env.servers[name], () =>
      pushChunked(url, repo.chunked, layers.chunked, chunkBytes, env.agent),
    );
    if (m) recordTransfer(env, 'push-chunked', name, layers.chunked.size, m, true);
  }
}

/** Runs an untimed check; false (and an entry in `env.errors`) when it fails. */
async function verify(env: RoundEnv, name: ServerName, check: () => Promise<void>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (err) {
    const message = `round ${env.round}, verified pull, ${name}: ${(err as Error).message}`;
    env.errors.push(message);
    console.error(`  ! ${message}`);
    return false;
  }
}

/** One round of skopeo: push an OCI layout holding the big layer to each server, then pull it into dir:. */
export async function skopeoRound(env: RoundEnv, layer: LayerFile): Promise<void> {
  const tag = `r${env.round}`;
  const source = await writeOciLayout(join(env.dir, 'layout'), layer, tag);
  for (const name of SERVER_NAMES) {
    const dest = `docker://${env.servers[name].host}/bench/skopeo:${tag}`;
    const m = await measureOn(env, 'skopeo-push', env.servers[name], () => skopeoCopy(source, dest, SKOPEO_TIMEOUT_MS));
    if (m) recordTransfer(env, 'skopeo-push', name, layer.size, m, true);
  }
  for (const name of SERVER_NAMES) {
    const src = `docker://${env.servers[name].host}/bench/skopeo:${tag}`;
    const out = join(env.dir, `pulled-${name}`);
    await mkdir(out, { recursive: true });
    const pull = () => skopeoCopy(src, `dir:${out}`, SKOPEO_TIMEOUT_MS);
    const m = await measureOn(env, 'skopeo-pull', env.servers[name], pull);
    await rm(out, { recursive: true, force: true });
    if (m) recordTransfer(env, 'skopeo-pull', name, layer.size, m, false);
  }
  await rm(join(env.dir, 'layout'), { recursive: true, force: true });
}

/** Declares the small-layers scenario. */
export function declareSmallScenario(rec: Recorder, count: number, kib: number, clients: number): void {
  rec.declare({
    id: 'small-push',
    title: `push ${count} × ${kib >= 1024 ? `${kib / 1024} MiB` : `${kib} KiB`} layers, ${clients} clients`,
    unit: 'layers/s',
    better: 'higher',
    cpuUnit: 'CPU ms/layer',
  });
}

/** One round of small layers: the same fresh random blobs pushed to each server by concurrent clients. */
export async function smallRound(env: RoundEnv): Promise<void> {
  const { smallLayers, smallLayerKiB, smallClients } = env.opts;
  const blobs = randomBlobs(smallLayers, smallLayerKiB * 1024);
  for (const name of SERVER_NAMES) {
    const server = env.servers[name];
    const m = await measureOn(env, 'small-push', server, () => pushConcurrently(server.url, blobs, smallClients));
    if (m) env.rec.add('small-push', name, smallLayers / (m.ms / 1000), (m.cpuSeconds * 1000) / smallLayers);
  }
}

/** `clients` clients, each with its own connection, take blobs off one queue until it is empty. */
export async function pushConcurrently(base: string, blobs: Buffer[], clients: number): Promise<void> {
  let next = 0;
  const client = async (i: number): Promise<void> => {
    const agent = keepAliveAgent(1);
    try {
      for (let taken = next++; taken < blobs.length; taken = next++) {
        await pushBuffer(base, `bench/small-${i}`, blobs[taken]!, agent);
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
}
