/**
 * Helpers for tests on the real node (`startCluster({ node: true })`): a locally built image, pods created
 * from plain objects, and waits on what a user would look at (pod phase, logs).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../../operator/helpers/cluster.js';
import { waitFor } from '../../operator/helpers/wait.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Builds the probe image (scripts/dev-node/probe.go: one static binary, no engine) as NAME into an OCI layout
 * dir and imports it into the node's containerd. Returns the layout dir.
 */
export async function importProbeImage(cluster: Cluster, name: string): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'berth-image-')), 'layout');
  await cluster.script('probe-image', name, dir);
  await cluster.node!.importImage(dir);
  return dir;
}

/** A pod running the probe image with ARGS (`serve PORT TEXT`, `get URL`, `write FILE TEXT`, `api`). */
export function probePod(name: string, image: string, args: string[], extra: { labels?: Record<string, string>; restartPolicy?: string; volumes?: Obj[]; mounts?: Obj[] } = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: extra.labels ?? {} },
    spec: {
      restartPolicy: extra.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'probe', image, imagePullPolicy: 'Never', args, volumeMounts: extra.mounts ?? [] }],
      volumes: extra.volumes ?? [],
    },
  };
}

/** Applies objects (as a List) in NAMESPACE. */
export async function applyIn(cluster: Cluster, namespace: string, ...objects: Obj[]): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  await cluster.kubectl(['apply', '-n', namespace, '-f', '-'], { input: JSON.stringify(list) });
}

/** Waits until the pod's phase is one of PHASES (fails early when it ends in another terminal phase). */
export async function waitForPhase(cluster: Cluster, namespace: string, pod: string, phases: string[], timeoutMs = 120_000): Promise<Obj> {
  return waitFor(
    `pod ${namespace}/${pod} in phase ${phases.join('|')}`,
    async () => {
      const p: Obj = await cluster.getJson(['pod', pod, '-n', namespace]);
      const phase: string = p.status?.phase ?? 'Unknown';
      if (phases.includes(phase)) return p;
      if (phase === 'Failed' || phase === 'Succeeded') {
        const logs = await cluster.kubectl(['logs', '-n', namespace, pod]).catch((e: Error) => e.message);
        throw new Error(`pod ${pod} ended ${phase}: ${JSON.stringify(p.status?.containerStatuses)}\n${logs}`);
      }
      return undefined;
    },
    timeoutMs,
    250,
  );
}

/** Seconds between two RFC 3339 timestamps of the API (1 s resolution). */
export const secondsBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 1000;
