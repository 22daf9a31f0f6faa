/**
 * A private local control plane per test file (etcd, kube-apiserver, kube-controller-manager on loopback ports),
 * started and stopped through `scripts/dev-cluster.sh` with its own data dir, plus a kubectl bound to it.
 * With `{ node: true }` it also gets the one real node of the machine (`start --node`: containerd, kubelet,
 * kube-scheduler, kube-proxy, CNI bridge, a default StorageClass); node clusters take turns (a machine-wide lock).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../../helpers/berth-process.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'scripts', 'dev-cluster.sh');

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

/** What `startCluster` starts besides the control plane. */
export interface ClusterOptions {
  /** One real node (root only; one at a time per machine: a second caller waits for the first to stop). */
  node?: boolean;
}

/** The real node of a cluster started with `{ node: true }`. */
export interface ClusterNode {
  /** The Node object's name (the host name). */
  name: string;
  /** The node containerd's private socket. */
  containerdSocket: string;
  /** Imports an image tarball (docker or OCI archive) or an OCI layout dir into the node's containerd. */
  importImage(path: string): Promise<void>;
  /** Runs `ctr` against the node's containerd, namespace k8s.io. */
  ctr(args: string[]): Promise<string>;
}

export interface Cluster {
  dir: string;
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** `https://127.0.0.1:PORT` */
  server: string;
  /** PEM of the cluster CA. */
  caData: string;
  /** Runs kubectl as admin (or with another kubeconfig); rejects with stderr on failure. */
  kubectl(args: string[], opts?: { input?: string; kubeconfig?: string }): Promise<string>;
  /** kubectl `get -o json`, parsed. */
  getJson<T = Record<string, any>>(args: string[]): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Runs the script with a command (`start`, `stop-component NAME`, `pid NAME`). */
  script(...args: string[]): Promise<string>;
  /** The node, when started with `{ node: true }`. */
  node?: ClusterNode;
  stop(): Promise<void>;
}

async function scriptIn(dir: string, args: string[]): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, ...args], {
    env: { ...process.env, BERTH_CLUSTER_DIR: dir },
    maxBuffer: 16 << 20,
    timeout: 15 * 60_000,
  });
  return stdout.trim();
}

/** Clusters of this process not stopped yet: stopped on exit, so a failing test file leaves no processes. */
const running = new Set<string>();
process.once('exit', () => {
  for (const dir of running) {
    try {
      execFileSync('bash', [SCRIPT, 'stop'], { env: { ...process.env, BERTH_CLUSTER_DIR: dir }, stdio: 'ignore', timeout: 30_000 });
    } catch {
      // nothing more to do on exit
    }
  }
});

/** Starts a fresh control plane, and a node if asked (builds the binaries first if the cache lacks them). */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cluster-'));
  running.add(dir);
  let kubeconfig: string;
  try {
    kubeconfig = (await scriptIn(dir, options.node ? ['start', '--node'] : ['start'])).split('\n').pop()!;
  } catch (err) {
    await scriptIn(dir, ['stop']).catch(() => undefined);
    running.delete(dir);
    throw err;
  }
  const env = await scriptIn(dir, ['env']);
  const binDir = /BERTH_K8S_BIN_DIR='([^']+)'/.exec(env)![1]!;
  const config = parseYaml(await readFile(kubeconfig, 'utf8'));
  const cluster = config.clusters[0].cluster;
  const kubectl = (args: string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<string> =>
    new Promise((resolve, reject) => {
      // A discovery cache per cluster: another cluster may have used the same port before.
      const common = ['--kubeconfig', opts.kubeconfig ?? kubeconfig, '--cache-dir', join(dir, 'kubectl-cache')];
      const child = spawn(join(binDir, 'kubectl'), [...common, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err || out}`))));
      child.stdin.end(opts.input ?? '');
    });
  return {
    dir,
    kubeconfig,
    server: cluster.server,
    caData: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    kubectl,
    getJson: async (args) => JSON.parse(await kubectl(['get', ...args, '-o', 'json'])),
    script: (...args) => scriptIn(dir, args),
    node: options.node ? await clusterNode(dir, env, kubectl) : undefined,
    stop: async () => {
      await scriptIn(dir, ['stop']);
      running.delete(dir);
    },
  };
}

async function clusterNode(dir: string, env: string, kubectl: (args: string[]) => Promise<string>): Promise<ClusterNode> {
  const containerdSocket = /BERTH_NODE_CONTAINERD_SOCK='([^']+)'/.exec(env)![1]!;
  const name = (await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  return {
    name,
    containerdSocket,
    importImage: async (path) => {
      await scriptIn(dir, ['import', path]);
    },
    ctr: async (args) => {
      const { stdout } = await run('ctr', ['--address', containerdSocket, '-n', 'k8s.io', ...args], { maxBuffer: 16 << 20 });
      return stdout;
    },
  };
}
