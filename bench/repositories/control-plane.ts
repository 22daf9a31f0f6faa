/**
 * The pieces the Repository benchmark drives: a local control plane from `scripts/dev-cluster.sh` (its own data
 * dir), kubectl bound to it, the operator's ServiceAccount from deploy/rbac, and `berth operator` as a child
 * process whose /metrics and /proc entry are read.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';

const run = promisify(execFile);

/** The repository root (this file is dist/bench/repositories/control-plane.js). */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = join(REPO_ROOT, 'scripts', 'dev-cluster.sh');
const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface ControlPlane {
  dir: string;
  kubectl(args: string[], input?: string): Promise<string>;
  /** A kubeconfig authenticated as the operator's ServiceAccount (deploy/rbac applied). */
  operatorKubeconfig(): Promise<string>;
  stop(): Promise<void>;
}

export async function startControlPlane(): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-cluster-'));
  const script = async (...args: string[]): Promise<string> =>
    (await run('bash', [SCRIPT, ...args], { env: { ...process.env, BERTH_CLUSTER_DIR: dir }, maxBuffer: 16 << 20, timeout: 20 * 60_000 })).stdout.trim();
  const kubeconfig = (await script('start')).split('\n').pop()!;
  const binDir = /BERTH_K8S_BIN_DIR='([^']+)'/.exec(await script('env'))![1]!;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const child = execFile(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kubectl-cache'), ...args], { maxBuffer: 256 << 20 });
    const output = new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err || out}`))));
    });
    child.stdin!.end(input ?? '');
    return output;
  };
  return {
    dir,
    kubectl,
    async operatorKubeconfig() {
      await kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'deploy', 'rbac')]);
      const token = (await kubectl(['create', 'token', 'berth-operator', '-n', 'berth-system', '--duration=24h'])).trim();
      const admin = parseYaml(await readFile(kubeconfig, 'utf8'));
      const file = join(dir, 'operator.kubeconfig');
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: admin.clusters[0].cluster }],
        users: [{ name: 'operator', user: { token } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'operator' } }],
        'current-context': 'c',
      };
      await writeFile(file, stringify(config), { mode: 0o600 });
      return file;
    },
    stop: async () => {
      await script('stop');
    },
  };
}

export interface OperatorChild {
  child: ChildProcess;
  /** Sum of a metric's samples whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts `berth operator` and waits for its `listening` log line. With `snapshotDir`, it runs there with
 * `--heapsnapshot-signal=SIGUSR2`, so {@link heapSnapshot} can ask it for a heap snapshot.
 */
export async function startOperatorChild(kubeconfig: string, args: string[], snapshotDir?: string): Promise<OperatorChild> {
  const node = snapshotDir ? ['--heapsnapshot-signal=SIGUSR2'] : [];
  const child = spawn(process.execPath, [...node, CLI, 'operator', '--kubeconfig', kubeconfig, '--metrics-addr', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: snapshotDir,
  });
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.message === 'listening') resolve(entry.address as string);
      if (entry.level === 'error' || entry.level === 'warn') console.error(line);
    });
    child.once('exit', (code) => reject(new Error(`berth operator exited with ${code}`)));
  });
  return {
    child,
    async metric(name, labels = {}) {
      const text = await (await fetch(`http://${address}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
      }
      return sum;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Asks the operator for a heap snapshot (it must run with a `snapshotDir`); resolves with its path once written. */
export async function heapSnapshot(op: OperatorChild, dir: string): Promise<string> {
  const before = new Set(await readdir(dir));
  op.child.kill('SIGUSR2');
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = (await stat(join(dir, file))).size;
    await new Promise((r) => setTimeout(r, 2000));
    if ((await stat(join(dir, file))).size === size && size > 0) return join(dir, file);
  }
}

/** API writes (create, update, patch, delete) the operator made so far, by verb. */
export async function writesByVerb(op: OperatorChild): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const verb of ['create', 'update', 'patch', 'delete']) out[verb] = await op.metric('berth_operator_api_requests_total', { verb });
  return out;
}

export const total = (w: Record<string, number>): number => Object.values(w).reduce((a, b) => a + b, 0);
