/**
 * A workload pushes with its own Kubernetes identity, on the real node: a pod running crane (a static build, in
 * an image made here with no engine: `dev-cluster.sh crane-image`) logs in with its projected ServiceAccount token
 * (audience = the registry's) through a credential helper that reads the token file, and pushes an image into a
 * `berth serve` with auth.kubernetes enabled; another pod runs that image, pulled by the node's containerd with a
 * robot's pull Secret. A pod whose ServiceAccount has no RoleBinding is refused the push.
 *
 * The registry runs on the host (loopback, a random port) as a ServiceAccount bound to
 * berth-registry-auth-delegator; the pushing pods use the host network to reach it, as a build pod reaches a
 * registry's Service.
 */
import { jest } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { generateRobotSecret, hashRobotSecret } from '../../../src/shared/policy-secrets.js';
import { startCluster, type Cluster } from '../operator/helpers/cluster.js';
import { applyIn, waitForPhase } from './helpers/node.js';

jest.setTimeout(600_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'team-a';
const AUDIENCE = 'berth-node-registry';
const CRANE_IMAGE = 'berth.local/crane:v1';
const puller = generateRobotSecret();

let cluster: Cluster;
let berth: BerthProcess;
let dir: string;
let host: string;
let appLayout: string;

const kubectl = (args: string[], input?: string): Promise<string> => cluster.kubectl(args, input === undefined ? {} : { input });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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

/** A pod that runs crane as ServiceAccount `sa`, pushing the app layout (a hostPath) to `ref`. */
function pushPod(name: string, sa: string, ref: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      serviceAccountName: sa,
      hostNetwork: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'crane',
          image: CRANE_IMAGE,
          imagePullPolicy: 'Never',
          command: ['/crane', '--insecure', 'push', '/image', ref],
          env: [
            { name: 'DOCKER_CONFIG', value: '/docker' },
            { name: 'REGISTRY_TOKEN_FILE', value: '/var/run/secrets/registry/token' },
          ],
          volumeMounts: [
            { name: 'registry-token', mountPath: '/var/run/secrets/registry', readOnly: true },
            { name: 'docker-config', mountPath: '/docker', readOnly: true },
            { name: 'image', mountPath: '/image', readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: 'registry-token', projected: { sources: [{ serviceAccountToken: { audience: AUDIENCE, expirationSeconds: 600, path: 'token' } }] } },
        { name: 'docker-config', configMap: { name: 'docker-config' } },
        { name: 'image', hostPath: { path: appLayout, type: 'Directory' } },
      ],
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-crane-identity-'));
  cluster = await startCluster({ node: true });
  const crane = join(dir, 'crane-layout');
  await cluster.script('crane-image', CRANE_IMAGE, crane);
  await cluster.node!.importImage(crane);
  // The image the pod pushes: built here, never imported, so the node can only get it from the registry.
  appLayout = join(dir, 'app-layout');
  await cluster.script('probe-image', 'berth.local/app:v1', appLayout);

  for (const ns of ['berth', NS]) await kubectl(['create', 'namespace', ns]);
  await kubectl(['apply', '-f', '-'], await readFile(join(REPO_ROOT, 'deploy', 'rbac', '40-repository-roles.yaml'), 'utf8'));
  await kubectl(['create', 'serviceaccount', 'registry', '-n', 'berth']);
  await kubectl(['create', 'clusterrolebinding', 'registry-auth', '--clusterrole', 'berth-registry-auth-delegator', '--serviceaccount', 'berth:registry']);
  for (const sa of ['builder', 'stranger']) await kubectl(['create', 'serviceaccount', sa, '-n', NS]);
  await kubectl(['create', 'rolebinding', 'builder-push', '-n', NS, '--clusterrole', 'berth-repository-pusher', '--serviceaccount', `${NS}:builder`]);

  const port = await freePort();
  host = `127.0.0.1:${port}`;
  const policy = { version: 1, robots: [{ name: 'puller', secrets: [{ hash: hashRobotSecret(puller) }] }], rules: [{ repositories: ['team-a/**'], principals: ['robot:puller'], actions: ['pull'] }] };
  await writeFile(join(dir, 'policy.yaml'), stringify(policy));
  const config = {
    log: { level: 'debug' },
    auth: {
      service: AUDIENCE,
      policyFile: join(dir, 'policy.yaml'),
      signingKeyFile: join(dir, 'signing-key.pem'),
      kubernetes: { enabled: true, audiences: [AUDIENCE], cacheTtl: '5s' },
    },
  };
  await writeFile(join(dir, 'config.yaml'), stringify(config));
  berth = await startBerth({ config: join(dir, 'config.yaml'), addr: host, env: { KUBECONFIG: await registryKubeconfig() } });

  // The node's containerd reaches the registry over plain HTTP on loopback.
  const hosts = join(cluster.dir, 'node', 'certs.d', host);
  await mkdir(hosts, { recursive: true });
  await writeFile(join(hosts, 'hosts.toml'), `server = "http://${host}"\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`);
  const dockerConfig = JSON.stringify({ credHelpers: { [host]: 'berth-token' } });
  await kubectl(['create', 'configmap', 'docker-config', '-n', NS, `--from-literal=config.json=${dockerConfig}`]);
  const auth = Buffer.from(`puller:${puller}`).toString('base64');
  const pull = JSON.stringify({ auths: { [host]: { username: 'puller', password: puller, auth } } });
  await kubectl(['create', 'secret', 'generic', 'registry-pull', '-n', NS, '--type', 'kubernetes.io/dockerconfigjson', `--from-literal=.dockerconfigjson=${pull}`]);
}, 20 * 60_000);

afterAll(async () => {
  await berth?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a pod pushes with its projected ServiceAccount token, and another pod runs the image', async () => {
  const ref = `${host}/team-a/app:v1`;
  await applyIn(cluster, NS, pushPod('push', 'builder', ref));
  await waitForPhase(cluster, NS, 'push', ['Succeeded'], 180_000);
  expect(berth.logs.some((l) => JSON.stringify(l).includes('system:serviceaccount:team-a:builder'))).toBe(true);

  const run = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'run' },
    spec: {
      imagePullSecrets: [{ name: 'registry-pull' }],
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: ref, imagePullPolicy: 'Always', args: ['serve', '8080', 'pushed by a pod'] }],
    },
  };
  await applyIn(cluster, NS, run);
  const pod = await waitForPhase(cluster, NS, 'run', ['Running'], 180_000);
  expect(pod.status.containerStatuses[0].imageID).toContain('sha256:');
});

test('a pod whose ServiceAccount no RoleBinding grants is refused the push', async () => {
  await applyIn(cluster, NS, pushPod('push-stranger', 'stranger', `${host}/team-a/other:v1`));
  await waitForPhase(cluster, NS, 'push-stranger', ['Failed'], 180_000);
  const logs = await kubectl(['logs', '-n', NS, 'push-stranger']);
  expect(logs).toMatch(/UNAUTHORIZED|DENIED|401|403/);
});
