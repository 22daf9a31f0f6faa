/**
 * `npm run bench:kubernetes-login [-- --seconds 10]`: logins with Kubernetes identities against the robot path, on
 * the local control plane. A `berth serve` with auth.kubernetes (cacheTtl 10s) runs as a ServiceAccount bound to
 * berth-registry-auth-delegator; ServiceAccounts of team-a are granted pull by one RoleBinding.
 * - latency, cache cold: each login by another ServiceAccount with a fresh token (one TokenReview and one
 *   SubjectAccessReview round trip to the API server), sequential;
 * - latency, cache warm: the same token again (no round trip), sequential;
 * - tokens/s: GET /token at 16 connections (bombardier), a warm Kubernetes token versus a robot's secret.
 * Prints a Markdown table.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { generateRobotSecret, hashRobotSecret } from '../src/shared/policy-secrets.js';
import { parseBombardierOutput } from './bombardier.js';
import { REPO_ROOT, startControlPlane, type ControlPlane } from './repositories/control-plane.js';
import { runTool } from './run.js';
import { startBerthServer } from './servers.js';
import { median } from './stats.js';
import type { BenchServer } from './types.js';
import { requireClean, type LoadResult } from './wrk.js';

const AUDIENCE = 'berth-bench';
const SCOPE = 'repository:team-a/api:pull';
const COLD = 20;
const WARM = 200;
const CONNECTIONS = 16;
const CACHE_TTL_MS = 10_000;

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function login(server: BenchServer, authorization: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${server.url}/token?service=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`, { headers: { Authorization: authorization } });
  const body = (await res.json()) as { scope?: string };
  if (res.status !== 200 || body.scope !== SCOPE) throw new Error(`login: ${res.status} ${JSON.stringify(body)}`);
  return performance.now() - started;
}

/**
 * GET /token under load (bombardier). Refused logins are counted, not fatal: then the same load is replayed with
 * fetch for one cache period to say which statuses and error codes they were.
 */
async function load(server: BenchServer, authorization: string, seconds: number): Promise<LoadResult & { refused?: Record<string, number> }> {
  const url = `${server.url}/token?service=${AUDIENCE}&scope=${encodeURIComponent(SCOPE)}`;
  const args = ['-m', 'GET', '-c', `${CONNECTIONS}`, '-d', `${seconds}s`, '-t', '5s', '-H', `Authorization: ${authorization}`, '-l', '-p', 'r', '-o', 'json', url];
  const { stdout } = await runTool('bombardier', args, (seconds + 30) * 1000);
  const result = parseBombardierOutput(stdout);
  requireClean({ ...result, non2xx: 0 }, url, stdout);
  if (result.non2xx === 0) return result;
  const refused: Record<string, number> = {};
  const until = Date.now() + CACHE_TTL_MS + 1_000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const res = await fetch(url, { headers: { Authorization: authorization } });
        const body = (await res.json()) as { errors?: Array<{ code: string }> };
        if (res.status !== 200) {
          const k = `${res.status} ${body.errors?.[0]?.code ?? ''}`;
          refused[k] = (refused[k] ?? 0) + 1;
        }
      }
    }),
  );
  return { ...result, refused };
}

async function setUp(cp: ControlPlane, dir: string): Promise<{ kubeconfig: string; config: string; robot: string }> {
  for (const ns of ['berth', 'team-a']) await cp.kubectl(['create', 'namespace', ns]);
  await cp.kubectl(['apply', '-f', '-'], await readFile(join(REPO_ROOT, 'deploy', 'rbac', '40-repository-roles.yaml'), 'utf8'));
  await cp.kubectl(['create', 'serviceaccount', 'registry', '-n', 'berth']);
  await cp.kubectl(['create', 'clusterrolebinding', 'registry-auth', '--clusterrole', 'berth-registry-auth-delegator', '--serviceaccount', 'berth:registry']);
  await cp.kubectl(['create', 'rolebinding', 'pull', '-n', 'team-a', '--clusterrole', 'berth-repository-puller', '--group', 'system:serviceaccounts:team-a']);
  for (let i = 0; i <= COLD; i++) await cp.kubectl(['create', 'serviceaccount', `sa-${i}`, '-n', 'team-a']);
  const server = await cp.kubectl(['config', 'view', '--raw', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']);
  const ca = await cp.kubectl(['config', 'view', '--raw', '--minify', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}']);
  const token = (await cp.kubectl(['create', 'token', 'registry', '-n', 'berth', '--duration=2h'])).trim();
  const kubeconfig = join(dir, 'registry.kubeconfig');
  const kc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': ca } }],
    users: [{ name: 'registry', user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'registry' } }],
    'current-context': 'c',
  };
  await writeFile(kubeconfig, stringify(kc), { mode: 0o600 });
  const robot = generateRobotSecret();
  const policy = { version: 1, robots: [{ name: 'ci', secrets: [{ hash: hashRobotSecret(robot) }] }], rules: [{ repositories: ['team-a/**'], principals: ['robot:ci'], actions: ['pull'] }] };
  await writeFile(join(dir, 'policy.yaml'), stringify(policy));
  const config = join(dir, 'config.yaml');
  const auth = {
    service: AUDIENCE,
    policyFile: join(dir, 'policy.yaml'),
    signingKeyFile: join(dir, 'signing-key.pem'),
    kubernetes: { enabled: true, audiences: [AUDIENCE], cacheTtl: `${CACHE_TTL_MS / 1000}s` },
  };
  await writeFile(config, stringify({ log: { level: 'warn' }, auth }));
  return { kubeconfig, config, robot };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
  const seconds = Number(values.seconds);
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-k8s-login-'));
  const cp = await startControlPlane();
  let server: BenchServer | undefined;
  try {
    const { kubeconfig, config, robot } = await setUp(cp, dir);
    process.env.KUBECONFIG = kubeconfig;
    server = await startBerthServer(dir, { config });
    const tokenOf = async (sa: string): Promise<string> => (await cp.kubectl(['create', 'token', sa, '-n', 'team-a', '--duration=1h', '--audience', AUDIENCE])).trim();
    const cold: number[] = [];
    for (let i = 1; i <= COLD; i++) cold.push(await login(server, basic('me', await tokenOf(`sa-${i}`))));
    const warmAuth = basic('me', await tokenOf('sa-0'));
    await login(server, warmAuth);
    const warm: number[] = [];
    for (let i = 0; i < WARM; i++) warm.push(await login(server, warmAuth));
    const robotAuth = basic('ci', robot);
    const robotSeq: number[] = [];
    for (let i = 0; i < WARM; i++) robotSeq.push(await login(server, robotAuth));
    const kube = await load(server, warmAuth, seconds);
    const robots = await load(server, robotAuth, seconds);
    const ms = (x: number): string => x.toFixed(2);
    console.log(`## Logins with Kubernetes identities (${COLD} cold, ${WARM} warm sequential; ${CONNECTIONS} connections for ${seconds}s)`);
    console.log('| path | median latency (sequential) | tokens/s (bombardier) | p99 under load |');
    console.log('|---|---|---|---|');
    console.log(`| Kubernetes token, cache cold (TokenReview + SubjectAccessReview) | ${ms(median(cold))} ms | - | - |`);
    console.log(`| Kubernetes token, cache warm | ${ms(median(warm))} ms | ${Math.round(kube.requestsPerSecond)} | ${ms(kube.p99Ms)} ms |`);
    console.log(`| robot secret | ${ms(median(robotSeq))} ms | ${Math.round(robots.requestsPerSecond)} | ${ms(robots.p99Ms)} ms |`);
    for (const [name, r] of [['Kubernetes token', kube], ['robot secret', robots]] as const) {
      if (r.non2xx) console.log(`${name}: ${r.non2xx} of ${r.requests} logins under load were refused; replayed for one cache period:`, r.refused);
    }
  } finally {
    await server?.stop();
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
