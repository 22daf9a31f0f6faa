/**
 * The S3 phase (`--only s3`): Berth and Distribution on one versitygw bucket, side by side, per round: the big layer
 * pushed (POST + one PUT) with the server's peak RSS, pulled through the registry (redirects off) and through a
 * 307 to a presigned URL (redirects on: curl follows it, so the bytes come from versitygw), then many small layers
 * from concurrent clients. Each round has fresh registries on a fresh key prefix; the S3 server is shared.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pullVerified, pullWithCurl, pushMonolithic, type LayerFile } from './blob-ops.js';
import { pushConcurrently, sizeLabel } from './blob-scenarios.js';
import { randomBlobs } from './layer-file.js';
import { measureOn, type RoundEnv } from './measure.js';
import type { Recorder } from './recorder.js';
import { startBerthOnS3, startDistributionOnS3, type BenchS3 } from './s3-servers.js';
import { MiB, mibPerSecond } from './stats.js';
import { SERVER_NAMES, type BenchServer, type ServerName } from './types.js';

/** Issue 13: peak RSS while streaming a 1 GiB push to S3. */
const S3_MAX_RSS_MIB = 150;

const S3_PUSH_TIMEOUT_MS = 600_000;

/** Declares the S3 phase's scenarios. */
export function declareS3Scenarios(rec: Recorder, layerBytes: number, small: { count: number; kib: number; clients: number }): void {
  const size = sizeLabel(layerBytes);
  const base = { unit: 'MiB/s', better: 'higher', cpuUnit: 'CPU s/GiB', target: { kind: 'ratio', min: 1 } } as const;
  rec.declare({ ...base, id: 's3-push', title: `S3: push ${size}, POST + one PUT` });
  rec.declare({ ...base, id: 's3-pull', title: `S3: pull ${size} through the registry (redirect off)` });
  rec.declare({ ...base, id: 's3-pull-redirect', title: `S3: pull ${size}, 307 to the bucket (redirect on, curl -L)` });
  rec.declare({
    id: 's3-small-push',
    title: `S3: push ${small.count} × ${small.kib >= 1024 ? `${small.kib / 1024} MiB` : `${small.kib} KiB`} layers, ${small.clients} clients`,
    unit: 'layers/s',
    better: 'higher',
    cpuUnit: 'CPU ms/layer',
    target: { kind: 'ratio', min: 1 },
  });
  const rss = { unit: 'MiB', better: 'lower', aggregate: 'max' } as const;
  // issue 13's bound while streaming 1 GiB to S3 (a part in flight is buffered); issue 15's 128 MiB is for the disk
  rec.declare({ ...rss, id: 's3-rss-push', title: `S3: peak RSS during the ${size} push (max)`, target: { kind: 'berthMax', max: S3_MAX_RSS_MIB } });
  rec.declare({ ...rss, id: 's3-rss-pull', title: `S3: peak RSS during the ${size} pull through the registry (max)` });
}

/** The four registries of a round: each kind with redirects off and on, on the same stored data. */
type S3Registries = Record<ServerName, { off: BenchServer; on: BenchServer }>;

async function startRegistries(dir: string, s3: BenchS3, round: number): Promise<{ servers: S3Registries; all: BenchServer[] }> {
  const all: BenchServer[] = [];
  const start = async (s: Promise<BenchServer>): Promise<BenchServer> => {
    const server = await s;
    all.push(server);
    return server;
  };
  try {
    const prefix = `berth-r${round}`;
    const root = `distribution-r${round}`;
    const servers: S3Registries = {
      berth: {
        off: await start(startBerthOnS3(join(dir, 'berth-off'), s3, prefix, false)),
        on: await start(startBerthOnS3(join(dir, 'berth-on'), s3, prefix, true)),
      },
      distribution: {
        off: await start(startDistributionOnS3(join(dir, 'dist-off'), s3, root, false)),
        on: await start(startDistributionOnS3(join(dir, 'dist-on'), s3, root, true)),
      },
    };
    return { servers, all };
  } catch (err) {
    for (const s of all) await s.stop();
    throw err;
  }
}

/** One round of the S3 phase; `env.servers` is ignored (this phase starts its own). */
export async function s3Round(env: Omit<RoundEnv, 'servers'>, s3: BenchS3, layer: LayerFile, running: Set<BenchServer>): Promise<void> {
  const { servers, all } = await startRegistries(env.dir, s3, env.round);
  all.forEach((s) => running.add(s));
  const round: RoundEnv = { ...env, servers: { berth: servers.berth.off, distribution: servers.distribution.off } };
  const repo = 'bench/s3';
  try {
    for (const name of SERVER_NAMES) {
      const { off } = servers[name];
      // Distribution's S3 driver took about 2 min for 1 GiB on versitygw here: a longer limit than the disk phase's
      const m = await measureOn(round, 's3-push', off, () => pushMonolithic(off.url, repo, layer, env.agent, S3_PUSH_TIMEOUT_MS));
      if (!m) continue;
      env.rec.add('s3-push', name, mibPerSecond(layer.size, m.ms), m.cpuSeconds / (layer.size / (1024 * MiB)));
      env.rec.add('s3-rss-push', name, m.peakRssKiB / 1024);
    }
    for (const name of SERVER_NAMES) {
      const { off, on } = servers[name];
      const pulled = await measureOn(round, 's3-pull', off, () => pullWithCurl(off.url, repo, layer));
      if (pulled) {
        env.rec.add('s3-pull', name, mibPerSecond(layer.size, pulled.ms), pulled.cpuSeconds / (layer.size / (1024 * MiB)));
        env.rec.add('s3-rss-pull', name, pulled.peakRssKiB / 1024);
      }
      const redirected = await measureOn(round, 's3-pull-redirect', on, () => pullWithCurl(on.url, repo, layer, true));
      if (redirected) {
        const cpu = redirected.cpuSeconds / (layer.size / (1024 * MiB));
        env.rec.add('s3-pull-redirect', name, mibPerSecond(layer.size, redirected.ms), cpu);
      }
      await pullVerified(off.url, repo, layer, env.agent).catch((err: unknown) => {
        env.errors.push(`round ${env.round}, s3 verified pull, ${name}: ${(err as Error).message}`);
      });
    }
    const { smallLayers, smallLayerKiB, smallClients } = env.opts;
    const blobs = randomBlobs(smallLayers, smallLayerKiB * 1024);
    for (const name of SERVER_NAMES) {
      const { off } = servers[name];
      const m = await measureOn(round, 's3-small-push', off, () => pushConcurrently(off.url, blobs, smallClients));
      if (m) env.rec.add('s3-small-push', name, smallLayers / (m.ms / 1000), (m.cpuSeconds * 1000) / smallLayers);
    }
  } finally {
    for (const s of all) {
      await s.stop();
      running.delete(s);
    }
    await rm(env.dir, { recursive: true, force: true });
  }
}
