/**
 * containerd `ctr` scenarios (issue 15): the big layer's OCI layout imported into a private containerd (untimed,
 * `--no-unpack`: the layer is random bytes, not a tar), pushed with `ctr images push --plain-http`, then fetched
 * back into a second, empty containerd with `ctr content fetch --plain-http` (pull without unpacking, so the
 * figure is the registry and the transfer, not the snapshotter). A fresh daemon per pull, so no blob is already
 * there.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerFile } from './blob-ops.js';
import { startContainerd, type BenchContainerd } from './containerd.js';
import { measureOn, type Measured, type RoundEnv } from './measure.js';
import type { Recorder } from './recorder.js';
import { runTool } from './run.js';
import { writeOciLayout } from './skopeo.js';
import { ISSUE_15 } from './targets.js';
import { SERVER_NAMES, type ServerName } from './types.js';
import { MiB, mibPerSecond } from './stats.js';

const CTR_TIMEOUT_MS = 300_000;
const REPO = 'bench/ctr';

/** Declares the ctr push and pull rows. */
export function declareCtrScenarios(rec: Recorder, sizeLabel: string): void {
  const base = { unit: 'MiB/s', better: 'higher', cpuUnit: 'CPU s/GiB', target: { kind: 'ratio', min: ISSUE_15.clientRatio } } as const;
  rec.declare({ ...base, id: 'ctr-push', title: `ctr push ${sizeLabel} (images push --plain-http)` });
  rec.declare({ ...base, id: 'ctr-pull', title: `ctr pull ${sizeLabel} (content fetch --plain-http, no unpack)` });
}

function record(env: RoundEnv, id: string, name: ServerName, bytes: number, m: Measured, push: boolean): void {
  env.rec.add(id, name, mibPerSecond(bytes, m.ms), m.cpuSeconds / (bytes / (1024 * MiB)));
  if (push) env.rec.add('rss-push', name, m.peakRssKiB / 1024);
}

async function withContainerd(parent: string, fn: (c: BenchContainerd) => Promise<void>): Promise<void> {
  const containerd = await startContainerd(parent);
  try {
    await fn(containerd);
  } finally {
    await containerd.stop();
  }
}

/** One round: push the layer's image to each server with ctr, then fetch it back from each. */
export async function ctrRound(env: RoundEnv, layer: LayerFile): Promise<void> {
  const tag = `r${env.round}`;
  const work = join(env.dir, 'ctr');
  await mkdir(work, { recursive: true });
  try {
    await writeOciLayout(join(work, 'layout'), layer, tag);
    const archive = join(work, 'image.tar');
    await runTool('tar', ['-cf', archive, '-C', join(work, 'layout'), '.'], CTR_TIMEOUT_MS);
    await rm(join(work, 'layout'), { recursive: true, force: true });
    await withContainerd(work, async (pusher) => {
      await pusher.ctr(['images', 'import', '--no-unpack', '--all-platforms', '--base-name', REPO, archive], CTR_TIMEOUT_MS);
      for (const name of SERVER_NAMES) {
        const remote = `${env.servers[name].host}/${REPO}:${tag}`;
        const push = () => pusher.ctr(['images', 'push', '--plain-http', remote, `${REPO}:${tag}`], CTR_TIMEOUT_MS);
        const m = await measureOn(env, 'ctr-push', env.servers[name], push);
        if (m) record(env, 'ctr-push', name, layer.size, m, true);
      }
    });
    await rm(archive, { force: true });
    for (const name of SERVER_NAMES) {
      await withContainerd(work, async (puller) => {
        const remote = `${env.servers[name].host}/${REPO}:${tag}`;
        const pull = () => puller.ctr(['content', 'fetch', '--plain-http', '--all-platforms', remote], CTR_TIMEOUT_MS);
        const m = await measureOn(env, 'ctr-pull', env.servers[name], pull);
        if (m) record(env, 'ctr-pull', name, layer.size, m, false);
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
