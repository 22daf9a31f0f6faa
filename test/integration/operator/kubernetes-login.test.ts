/**
 * Logging in with a Kubernetes identity, on a real control plane: a real `berth serve` with `auth.kubernetes`
 * enabled, authenticated to the API server as its own ServiceAccount bound to `berth-registry-auth-delegator`
 * (deploy/rbac/40-repository-roles.yaml), checks each login's token with a TokenReview and each requested action
 * with a SubjectAccessReview; access is granted with the ready-made `berth-repository-*` ClusterRoles.
 */
import { jest } from '@jest/globals';
import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { generateRobotSecret, hashRobotSecret } from '../../../src/shared/policy-secrets.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { sleep, waitFor } from './helpers/wait.js';

jest.setTimeout(300_000);

const AUDIENCE = 'berth-test';
const CACHE_TTL_MS = 2_000;
const REPO = 'team-a/api';

let cluster: Cluster;
let dir: string;
let berth: BerthProcess;
const robotSecret = generateRobotSecret();

const kubectl = (args: string[], input?: string): Promise<string> => cluster.kubectl(args, input === undefined ? {} : { input });
/** A token of `team-a/<sa>` for `audience` ('' for the API server's own). */
const tokenOf = async (sa: string, audience = AUDIENCE): Promise<string> =>
  (await kubectl(['create', 'token', sa, '-n', 'team-a', '--duration=1h', ...(audience ? ['--audience', audience] : [])])).trim();

interface Login {
  status: number;
  scope?: string;
  token?: string;
  code?: string;
}

async function login(password: string, scope: string, username = 'me'): Promise<Login> {
  const url = `${berth.url}/token?service=${AUDIENCE}&scope=${encodeURIComponent(scope)}`;
  const res = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
  const body = (await res.json()) as { scope?: string; token?: string; errors?: Array<{ code: string }> };
  return { status: res.status, scope: body.scope, token: body.token, code: body.errors?.[0]?.code };
}

const BLOB = Buffer.from('a layer pushed with a Kubernetes identity');
const DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;

/** A monolithic blob upload to `team-a/api` with a registry token: the HTTP status. */
async function pushBlob(token: string | undefined): Promise<number> {
  const res = await fetch(`${berth.url}/v2/${REPO}/blobs/uploads/?digest=${DIGEST}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: BLOB,
  });
  await res.arrayBuffer();
  return res.status;
}

async function pullBlob(token: string | undefined): Promise<number> {
  const res = await fetch(`${berth.url}/v2/${REPO}/blobs/${DIGEST}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  await res.arrayBuffer();
  return res.status;
}

/** A kubeconfig holding a token of `berth/registry`, as the registry pod's mounted token would be. */
async function registryKubeconfig(): Promise<string> {
  const token = (await kubectl(['create', 'token', 'registry', '-n', 'berth', '--duration=2h'])).trim();
  const file = join(dir, 'registry.kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caData).toString('base64') } }],
    users: [{ name: 'registry', user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'registry' } }],
    'current-context': 'c',
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  cluster = await startCluster();
  dir = await mkdtemp(join(tmpdir(), 'berth-k8s-login-'));
  for (const ns of ['berth', 'team-a']) await kubectl(['create', 'namespace', ns]);
  await kubectl(['apply', '-f', '-'], await readFile(join(REPO_ROOT, 'deploy', 'rbac', '40-repository-roles.yaml'), 'utf8'));
  await kubectl(['create', 'serviceaccount', 'registry', '-n', 'berth']);
  await kubectl(['create', 'clusterrolebinding', 'registry-auth', '--clusterrole', 'berth-registry-auth-delegator', '--serviceaccount', 'berth:registry']);
  for (const sa of ['puller', 'pusher', 'nobody']) await kubectl(['create', 'serviceaccount', sa, '-n', 'team-a']);
  for (const role of ['puller', 'pusher']) {
    await kubectl(['create', 'rolebinding', role, '-n', 'team-a', '--clusterrole', `berth-repository-${role}`, '--serviceaccount', `team-a:${role}`]);
  }
  const policy = { version: 1, robots: [{ name: 'ci', secrets: [{ hash: hashRobotSecret(robotSecret) }] }], rules: [{ repositories: ['team-a/**'], principals: ['robot:ci'], actions: ['pull'] }] };
  await writeFile(join(dir, 'policy.yaml'), stringify(policy));
  const config = {
    auth: {
      service: AUDIENCE,
      policyFile: join(dir, 'policy.yaml'),
      signingKeyFile: join(dir, 'signing-key.pem'),
      kubernetes: { enabled: true, audiences: [AUDIENCE], cacheTtl: `${CACHE_TTL_MS / 1000}s` },
    },
  };
  await writeFile(join(dir, 'config.yaml'), stringify(config));
  berth = await startBerth({ config: join(dir, 'config.yaml'), env: { KUBECONFIG: await registryKubeconfig() } });
});

afterAll(async () => {
  await berth?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a ServiceAccount bound to berth-repository-pusher in team-a gets pull and push on team-a/api, and pushes', async () => {
  const reply = await login(await tokenOf('pusher'), `repository:${REPO}:pull,push,delete`);
  expect(reply).toMatchObject({ status: 200, scope: `repository:${REPO}:pull,push` });
  expect(await pushBlob(reply.token)).toBe(201);
});

test('bound to berth-repository-puller: pulls, and is refused push', async () => {
  const reply = await login(await tokenOf('puller'), `repository:${REPO}:pull,push`);
  expect(reply).toMatchObject({ status: 200, scope: `repository:${REPO}:pull` });
  expect(await pullBlob(reply.token)).toBe(200);
  expect([401, 403]).toContain(await pushBlob(reply.token));
});

test("a RoleBinding in team-a grants nothing on another namespace's paths", async () => {
  const reply = await login(await tokenOf('pusher'), 'repository:team-b/api:pull,push');
  expect(reply).toMatchObject({ status: 200, scope: '' });
});

test('bound to nothing: a token without access, refused by the registry', async () => {
  const reply = await login(await tokenOf('nobody'), `repository:${REPO}:pull,push`);
  expect(reply).toMatchObject({ status: 200, scope: '' });
  expect([401, 403]).toContain(await pullBlob(reply.token));
  expect([401, 403]).toContain(await pushBlob(reply.token));
});

test('a token without the registry audience (a general API token) is refused', async () => {
  expect(await login(await tokenOf('pusher', ''), `repository:${REPO}:pull`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  expect(await login(await tokenOf('pusher', 'another-audience'), `repository:${REPO}:pull`)).toMatchObject({ status: 401 });
});

test('a forged token is refused', async () => {
  const [header, payload] = (await tokenOf('pusher')).split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:default' })).toString('base64url');
  expect(await login(`${header}.${forged}.${Buffer.from('not a signature').toString('base64url')}`, `repository:${REPO}:pull`)).toMatchObject({ status: 401 });
});

/** A real token's claims, times moved by `shiftS` seconds, signed with `key` (RS256, the real token's kid). */
async function resigned(key: KeyObject, shiftS: number): Promise<string> {
  const [header, payload] = (await tokenOf('pusher')).split('.');
  const { kid } = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid?: string };
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown> & { iat: number; nbf: number; exp: number };
  const { iat, nbf, exp, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
    .setIssuedAt(iat + shiftS)
    .setNotBefore(nbf + shiftS)
    .setExpirationTime(exp + shiftS)
    .sign(key);
}

test("a token signed with the cluster's service-account key: accepted while valid, refused once expired", async () => {
  const clusterKey = createPrivateKey(await readFile(join(cluster.dir, 'pki', 'sa.key')));
  // The same claims, re-signed: accepted (so the refusal below is the expiry, not the signing).
  expect(await login(await resigned(clusterKey, 0), `repository:${REPO}:pull`)).toMatchObject({ status: 200, scope: `repository:${REPO}:pull` });
  const expired = await resigned(clusterKey, -2 * 3600 - 60);
  expect(JSON.parse(Buffer.from(expired.split('.')[1]!, 'base64url').toString()).exp * 1000).toBeLessThan(Date.now());
  expect(await login(expired, `repository:${REPO}:pull`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
});

test('a token with valid claims signed by another key is refused', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  expect(await login(await resigned(privateKey, 0), `repository:${REPO}:pull`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
});

test('robots of the policy still log in while Kubernetes identities are on', async () => {
  expect(await login(robotSecret, `repository:${REPO}:pull,push`, 'ci')).toMatchObject({ status: 200, scope: `repository:${REPO}:pull` });
});

test('login latency, cache cold and warm, and logins per second (printed)', async () => {
  const timed = async (password: string, username = 'me'): Promise<number> => {
    const t0 = performance.now();
    expect((await login(password, `repository:${REPO}:pull`, username)).status).toBe(200);
    return performance.now() - t0;
  };
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) cold.push(await timed(await tokenOf('puller')));
  const token = await tokenOf('puller');
  await timed(token);
  const warm: number[] = [];
  for (let i = 0; i < 50; i++) warm.push(await timed(token));
  const robot: number[] = [];
  for (let i = 0; i < 50; i++) robot.push(await timed(robotSecret, 'ci'));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const perSecond = (xs: number[]): number => Math.round(1000 / (xs.reduce((a, b) => a + b, 0) / xs.length));
  console.log(
    `[kubernetes login] cold (TokenReview + SubjectAccessReview) median ${median(cold).toFixed(1)} ms; ` +
      `warm (cached) median ${median(warm).toFixed(1)} ms, ${perSecond(warm)} logins/s sequential; ` +
      `robot median ${median(robot).toFixed(1)} ms, ${perSecond(robot)} logins/s sequential`,
  );
  expect(cold.length).toBe(5);
});

test('after the RoleBinding is deleted, the next login is refused once the cache TTL has passed', async () => {
  const token = await tokenOf('pusher');
  expect(await login(token, `repository:${REPO}:push`)).toMatchObject({ status: 200, scope: `repository:${REPO}:push` });
  await kubectl(['delete', 'rolebinding', 'pusher', '-n', 'team-a']);
  await sleep(CACHE_TTL_MS + 500);
  // RBAC's own authorizer cache in the API server may lag the delete by a moment.
  await waitFor('push refused', async () => (await login(token, `repository:${REPO}:push`)).scope === '', 10_000, 200);
  expect(await login(await tokenOf('pusher'), `repository:${REPO}:push`)).toMatchObject({ status: 200, scope: '' });
});

test('with the API server stopped, Kubernetes logins fail closed (503) and robots still log in', async () => {
  const fresh = await tokenOf('puller');
  const pid = await cluster.script('pid', 'kube-apiserver');
  expect(pid).toMatch(/^\d+$/);
  process.kill(Number(pid), 'SIGKILL');
  await sleep(500);
  expect(await login(fresh, `repository:${REPO}:pull`)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
  expect(berth.logs.some((l) => l.message === 'Kubernetes TokenReview failed; login refused')).toBe(true);
  expect(JSON.stringify(berth.logs)).not.toContain(fresh);
  expect((await login(robotSecret, `repository:${REPO}:pull`, 'ci')).status).toBe(200);
});
