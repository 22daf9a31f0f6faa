/**
 * Runs `berth operator` as a separate process (the built CLI in dist/), waits for its `listening` log line,
 * and reads its /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../../../helpers/berth-process.js';
import { waitForListening } from '../../../helpers/listening.js';

export interface OperatorProcess {
  child: ChildProcess;
  /** `127.0.0.1:PORT` of /healthz, /readyz, /metrics. */
  address: string;
  logs: Array<Record<string, unknown>>;
  /** The value of a metric series, summed over series whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  get(path: string): Promise<{ status: number; text: string }>;
  /** Sends `signal` and waits for exit; resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The CLI to run: dist/src/cli/main.js, or $BERTH_CLI (to test an installed berth). */
export const OPERATOR_CLI = process.env.BERTH_CLI ?? CLI;

/** Sums the samples of `name` whose labels contain all of `labels` (Prometheus text format). */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

export async function startOperator(kubeconfig: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<OperatorProcess> {
  const child = spawn(process.execPath, [OPERATOR_CLI, 'operator', '--kubeconfig', kubeconfig, '--metrics-addr', '127.0.0.1:0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await waitForListening(child, logs, 'berth operator');
  const get = async (path: string) => {
    const res = await fetch(`http://${address}${path}`);
    return { status: res.status, text: await res.text() };
  };
  return {
    child,
    address,
    logs,
    get,
    metric: async (name, labels) => sumMetric((await get('/metrics')).text, name, labels),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** API writes (create, update, patch, delete) the operator made so far. */
export async function apiWrites(op: OperatorProcess): Promise<number> {
  let total = 0;
  for (const verb of ['create', 'update', 'patch', 'delete']) total += await op.metric('berth_operator_api_requests_total', { verb });
  return total;
}
