/**
 * Manifest reads under load: a small one-layer image is pushed to each server, then
 * `GET`/`HEAD /v2/bench/manifest/manifests/latest` (with the Accept header clients send) is loaded at each
 * concurrency, Berth then Distribution, for requests/s and p99 latency: GET with wrk, HEAD with bombardier
 * (wrk 4.1 cannot do HEAD).
 */
import { pushBuffer, putManifest } from './blob-ops.js';
import { randomBlobs } from './layer-file.js';
import { measureOn, type RoundEnv } from './measure.js';
import type { Recorder } from './recorder.js';
import { imageFor } from './skopeo.js';
import { ISSUE_15 } from './targets.js';
import { SERVER_NAMES, type Target } from './types.js';
import { runBombardier } from './bombardier.js';
import { runWrk, writeWrkScript, type LoadResult, type LoadRun } from './wrk.js';

const METHODS = ['GET', 'HEAD'] as const;
type Method = (typeof METHODS)[number];
const REPO = 'bench/manifest';
const TAG = 'latest';

/** Issue 15's manifest GET targets per concurrency: requests/s, and p99 where it sets one (both vs Distribution). */
export const GET_TARGETS: Readonly<Record<number, { rps: Target; p99?: Target }>> = {
  1: { rps: { kind: 'ratio', min: ISSUE_15.manifestC1Ratio }, p99: { kind: 'ratio', min: 1 / ISSUE_15.manifestC1P99Ratio } },
  64: { rps: { kind: 'ratio', min: ISSUE_15.manifestC64Ratio } },
};

function rpsId(method: Method, c: number): string {
  return `manifest-${method.toLowerCase()}-c${c}-rps`;
}

function p99Id(method: Method, c: number): string {
  return `manifest-${method.toLowerCase()}-c${c}-p99`;
}

/** Declares requests/s and p99 rows for each method and concurrency. */
export function declareManifestScenarios(rec: Recorder, connections: number[]): void {
  for (const method of METHODS) {
    for (const c of connections) {
      rec.declare({
        id: rpsId(method, c),
        title: `manifest ${method} (${method === 'GET' ? 'wrk' : 'bombardier'}), c=${c}`,
        unit: 'req/s',
        better: 'higher',
        cpuUnit: 'CPU µs/req',
        ...(method === 'GET' && GET_TARGETS[c] ? { target: GET_TARGETS[c].rps } : {}),
      });
      const p99 = method === 'GET' ? GET_TARGETS[c]?.p99 : undefined;
      rec.declare({ id: p99Id(method, c), title: `manifest ${method}, c=${c}, p99`, unit: 'ms', better: 'lower', ...(p99 ? { target: p99 } : {}) });
    }
  }
}

/** Pushes a one-layer image (1 KiB layer) as `bench/manifest:latest` to every server. */
async function pushSmallImage(env: RoundEnv): Promise<void> {
  const [layerData] = randomBlobs(1, 1024);
  for (const name of SERVER_NAMES) {
    const base = env.servers[name].url;
    const digest = await pushBuffer(base, REPO, layerData!, env.agent);
    const { config, manifest } = imageFor({ path: '', digest, size: layerData!.length });
    await pushBuffer(base, REPO, config, env.agent);
    await putManifest(base, REPO, TAG, manifest, 'application/vnd.oci.image.manifest.v1+json', env.agent);
  }
}

/** One round: every method × concurrency, Berth then Distribution. */
export async function manifestRound(env: RoundEnv): Promise<void> {
  await pushSmallImage(env);
  const script = await writeWrkScript(env.dir);
  const load = (run: LoadRun, method: Method) => (method === 'GET' ? runWrk(run, script) : runBombardier(run, 'HEAD'));
  for (const c of env.opts.wrkConnections) {
    for (const method of METHODS) {
      for (const name of SERVER_NAMES) {
        const server = env.servers[name];
        const url = `${server.url}/v2/${REPO}/manifests/${TAG}`;
        let result: LoadResult | undefined;
        const m = await measureOn(env, `manifest ${method} c=${c}`, server, async () => {
          result = await load({ url, connections: c, seconds: env.opts.wrkSeconds }, method);
        });
        if (!m || !result) continue;
        env.rec.add(rpsId(method, c), name, result.requestsPerSecond, (m.cpuSeconds * 1e6) / result.requests);
        env.rec.add(p99Id(method, c), name, result.p99Ms);
      }
    }
  }
}
