/**
 * The Helm chart under test (charts/berth), both Helm majors, and the values matrix every chart test renders.
 * Helm runs with private config/cache/data folders, so tests never read or write the user's Helm state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../../helpers/berth-process.js';
import { run as runTool, runOk, tool, type RunOptions } from '../../../helpers/tools.js';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'berth');
export const RELEASE = 'berth';
export const NAMESPACE = 'berth-system';
/** What `helm template` assumes (a `go install`ed Helm has no build-time default, and says 1.20). */
export const KUBE_VERSION = '1.36.0';

/** Both Helm majors, as installed by scripts/install-tools.sh. */
export const HELMS = [
  { label: 'helm v3', bin: 'helm' },
  { label: 'helm v4', bin: 'helm4' },
] as const;
export type HelmBin = (typeof HELMS)[number]['bin'];

/* eslint-disable @typescript-eslint/no-explicit-any */
export type K8sObject = Record<string, any>;

const temporary: string[] = [];

/** Removes every folder {@link tempDir} made so far (each chart test file calls it in afterAll). */
export function removeTempDirs(): void {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A new folder under the system temp dir, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** A Helm with its own HELM_CONFIG_HOME, HELM_CACHE_HOME and HELM_DATA_HOME. */
export interface Helm {
  bin: HelmBin;
  /** Runs helm; resolves with its standard output, rejects with both outputs on a non-zero exit. */
  run(args: string[], opts?: RunOptions): Promise<string>;
  /** Like run, but resolves with standard output and standard error together (helm push reports on stderr). */
  output(args: string[], opts?: RunOptions): Promise<string>;
  /** `helm template` of the chart (or `chart`) for Kubernetes {@link KUBE_VERSION}, as YAML text. */
  templateText(args: string[], chart?: string): Promise<string>;
  /** `helm template`, parsed into objects (empty documents dropped). */
  template(args: string[], chart?: string): Promise<K8sObject[]>;
}

export function helm(bin: HelmBin): Helm {
  const home = tempDir(`berth-${bin}-`);
  const env = {
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    // kubectl's discovery cache: another test cluster may have used the same port before.
    KUBECACHEDIR: join(home, 'kube-cache'),
  };
  const run = (args: string[], opts: RunOptions = {}) => runOk(tool(bin), args, { ...opts, env: { ...env, ...opts.env } });
  const templateText = (args: string[], chart = CHART_DIR) =>
    run(['template', RELEASE, chart, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, ...args]);
  return {
    bin,
    run,
    output: async (args, opts = {}) => {
      const r = await runTool(tool(bin), args, { ...opts, env: { ...env, ...opts.env } });
      if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout + r.stderr;
    },
    templateText,
    template: async (args, chart) => parseObjects(await templateText(args, chart)),
  };
}

/** The objects of a multi-document YAML stream, without empty documents. */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** The one object of a kind (and name); throws when there is none or several. */
export function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

export const SERVICE_MONITOR_API = 'monitoring.coreos.com/v1/ServiceMonitor';

export const TWO_REGISTRIES = [
  { name: 'registry', spec: { storage: { size: '1Gi' } } },
  { name: 'shared', namespace: 'team-a', spec: { replicas: 1, logLevel: 'debug' } },
];

/** Every values combination that matters, as `helm template`/`install` arguments. */
export const MATRIX: ReadonlyArray<{ name: string; args: string[] }> = [
  { name: 'defaults', args: [] },
  { name: 'HA (2 replicas)', args: ['--set', 'replicaCount=2'] },
  { name: 'watch-namespace', args: ['--set', 'watchNamespace=team-a'] },
  { name: 'ServiceMonitor API present', args: ['--api-versions', SERVICE_MONITOR_API] },
  { name: 'ServiceMonitor API present, disabled', args: ['--api-versions', SERVICE_MONITOR_API, '--set', 'metrics.serviceMonitor.enabled=false'] },
  { name: 'registries list', args: ['--set-json', `registries=${JSON.stringify(TWO_REGISTRIES)}`] },
  {
    name: 'everything',
    args: [
      '--api-versions', SERVICE_MONITOR_API,
      '--set', 'replicaCount=3,watchNamespace=team-a,registryImage=registry.example/berth:1.2.3',
      '--set', 'image.digest=sha256:' + 'a'.repeat(64),
      '--set-json', 'nodeSelector={"kubernetes.io/os":"linux"}',
      '--set-json', 'tolerations=[{"key":"dedicated","operator":"Equal","value":"infra","effect":"NoSchedule"}]',
      '--set-json', 'affinity={"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"app.kubernetes.io/name":"berth"}}}}]}}',
      '--set-json', `registries=${JSON.stringify(TWO_REGISTRIES)}`,
    ],
  },
];
