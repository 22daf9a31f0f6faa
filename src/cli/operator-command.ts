/**
 * `berth operator [flags]`: the Kubernetes operator (the Registry and Repository controllers).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { loadKubeCredentials, type KubeCredentials } from '../kube/kube-credentials.js';
import { parseDuration } from '../shared/duration.js';
import { createLogger, type LogLevel } from '../shared/logger.js';
import { splitHostPort } from '../operator/runtime/health-server.js';
import { startOperator, type OperatorOptions } from '../operator/operator.js';

export const OPERATOR_USAGE = `Usage: berth operator [flags]

Runs the Berth operator against the cluster of the kubeconfig (or the in-cluster service account).
  --kubeconfig FILE                 kubeconfig to use (default: $KUBECONFIG, in-cluster config, ~/.kube/config)
  --watch-namespace NS              reconcile Registries in this namespace only (default: all; alias --namespace)
  --image IMAGE                     Berth image for Registries without spec.image (default: $BERTH_IMAGE)
  --allowed-images PATTERNS         comma-separated images a Registry may run, * matching any characters
                                    (default: $BERTH_ALLOWED_IMAGES, else only the --image)
  --metrics-addr HOST:PORT          /healthz, /readyz and /metrics (default 0.0.0.0:8080; port 0 picks one)
  --leader-elect                    hold a Lease before reconciling, so several replicas are safe
  --leader-election-namespace NS    namespace of the Lease (default: $POD_NAMESPACE, the service account's)
  --leader-election-id NAME         name of the Lease (default berth-operator)
  --identity ID                     holder identity in the Lease (default: $POD_NAME or hostname_pid)
  --resync-period DURATION          reconcile everything this often even without events (default 10m)
  --workers N                       reconciles in parallel, never two of one object (default 4)
  --watch-silence-timeout DURATION  reopen a watch that sent nothing for this long (default 150s)
  --log-level LEVEL                 error, warn, info or debug (default info)

The operator's CA (Secret berth-ca, for Registries with spec.tls and no secretName) lives in $POD_NAMESPACE (the
service account's namespace), else the Lease's namespace, else the watched one, else default.`;

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface ParsedOperatorArgs {
  kubeconfig: string | undefined;
  logLevel: LogLevel;
  options: Omit<OperatorOptions, 'kubeConfig' | 'logger'>;
}

function durationFlag(value: string | undefined, flag: string, dflt: number): number {
  if (value === undefined) return dflt;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new Error(`${flag}: "${value}" is not a duration such as 30s or 10m`);
  return ms;
}

/** A comma-separated flag as a list; undefined when absent or empty. */
function listFlag(value: string | undefined): string[] | undefined {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.length ? items : undefined;
}

function serviceAccountNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Turns flags and environment into operator options; throws an Error naming the bad flag. */
export function parseOperatorArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedOperatorArgs {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      'watch-namespace': { type: 'string' },
      namespace: { type: 'string' },
      image: { type: 'string' },
      'allowed-images': { type: 'string' },
      'metrics-addr': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string' },
      identity: { type: 'string' },
      'resync-period': { type: 'string' },
      workers: { type: 'string' },
      'watch-silence-timeout': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const logLevel = (v['log-level'] ?? 'info') as LogLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) throw new Error('--log-level: must be error, warn, info or debug');
  const metricsAddr = v['metrics-addr'] ?? '0.0.0.0:8080';
  splitHostPort(metricsAddr);
  const workers = Number(v.workers ?? 4);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new Error('--workers: must be a whole number from 1 to 64');
  const watchNamespace = v['watch-namespace'] ?? v.namespace ?? (env.WATCH_NAMESPACE || undefined);
  let leaderElection: OperatorOptions['leaderElection'];
  if (v['leader-elect']) {
    const namespace = v['leader-election-namespace'] ?? (env.POD_NAMESPACE || serviceAccountNamespace() || watchNamespace);
    if (!namespace) throw new Error('--leader-elect: give --leader-election-namespace (no POD_NAMESPACE, not in a cluster)');
    const identity = v.identity ?? (env.POD_NAME || `${hostname()}_${process.pid}`);
    leaderElection = { namespace, name: v['leader-election-id'] ?? 'berth-operator', identity };
  }
  return {
    kubeconfig: v.kubeconfig,
    logLevel,
    options: {
      watchNamespace,
      defaultImage: v.image ?? (env.BERTH_IMAGE || undefined),
      allowedImages: listFlag(v['allowed-images'] ?? env.BERTH_ALLOWED_IMAGES),
      metricsAddr,
      leaderElection,
      caNamespace: env.POD_NAMESPACE || serviceAccountNamespace(),
      resyncPeriodMs: durationFlag(v['resync-period'], '--resync-period', 10 * 60_000),
      workers,
      watchSilenceTimeoutMs: durationFlag(v['watch-silence-timeout'], '--watch-silence-timeout', 150_000),
    },
  };
}

export async function operatorCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(OPERATOR_USAGE);
    return 0;
  }
  let parsed: ParsedOperatorArgs;
  let kubeConfig: KubeCredentials;
  try {
    parsed = parseOperatorArgs(argv);
    kubeConfig = await loadKubeCredentials(parsed.kubeconfig);
  } catch (err) {
    console.error(`berth operator: ${(err as Error).message}\n\n${OPERATOR_USAGE}`);
    return 2;
  }
  const logger = createLogger(parsed.logLevel, { component: 'operator' });
  const operator = await startOperator({ ...parsed.options, kubeConfig, logger });
  const onSignal = (signal: string): void => {
    logger.info('shutting down', { signal });
    void operator.stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  return operator.finished;
}
