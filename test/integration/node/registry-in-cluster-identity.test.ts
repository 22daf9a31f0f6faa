/**
 * Kubernetes identities end to end on the real node, with nothing run by hand: the operator (as its own
 * ServiceAccount) runs a Registry with spec.auth.kubernetes.enabled from the Berth image (`npm run image`,
 * imported into the node's containerd), and binds its pods to berth-registry-auth-delegator; the registry pod
 * checks tokens with its own in-cluster identity. A build pod running crane pushes with its projected
 * ServiceAccount token (audience = the Registry's host) through a credential helper, granted by one RoleBinding to
 * berth-repository-pusher; a Deployment in the namespace runs the image through the pull Secret the operator put
 * on its default ServiceAccount.
 */
import { jest } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../helpers/berth-process.js';
import { startCluster, type Cluster } from '../operator/helpers/cluster.js';
import { startOperator, type OperatorProcess } from '../operator/helpers/operator-process.js';
import { applyCrds, operatorKubeconfig } from '../operator/helpers/service-account.js';
import { waitFor } from '../operator/helpers/wait.js';
import { ensureBerthImage, IMAGE_DIR } from '../journey/helpers/berth-image.js';
import { applyIn, waitForPhase } from './helpers/node.js';

jest.setTimeout(900_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'team-a';
const REGISTRY_NS = 'berth';
const NODE_PORT = 30517;
const HOST = `localhost:${NODE_PORT}`;
const CRANE_IMAGE = 'berth.local/crane:v1';

let cluster: Cluster;
let operator: OperatorProcess;
let dir: string;
let appLayout: string;

const kubectl = (args: string[], input?: string): Promise<string> => cluster.kubectl(args, input === undefined ? {} : { input });
const applyJson = (obj: object): Promise<string> => kubectl(['apply', '--server-side', '--field-manager', 'test', '-f', '-'], JSON.stringify(obj));

function pushPod(name: string, ref: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      serviceAccountName: 'builder',
      hostNetwork: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'crane',
          image: CRANE_IMAGE,
          imagePullPolicy: 'Never',
          command: ['/crane', '--insecure', 'push', '/image', ref],
          env: [{ name: 'DOCKER_CONFIG', value: '/docker' }],
          volumeMounts: [
            { name: 'registry-token', mountPath: '/var/run/secrets/registry', readOnly: true },
            { name: 'docker-config', mountPath: '/docker', readOnly: true },
            { name: 'image', mountPath: '/image', readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: 'registry-token', projected: { sources: [{ serviceAccountToken: { audience: HOST, expirationSeconds: 600, path: 'token' } }] } },
        { name: 'docker-config', configMap: { name: 'docker-config' } },
        { name: 'image', hostPath: { path: appLayout, type: 'Directory' } },
      ],
    },
  };
}

beforeAll(async () => {
  const chart = parseYaml(await readFile(join(REPO_ROOT, 'charts', 'berth', 'Chart.yaml'), 'utf8')) as { appVersion: string };
  await ensureBerthImage(chart.appVersion);
  dir = await mkdtemp(join(tmpdir(), 'berth-in-cluster-identity-'));
  cluster = await startCluster({ node: true });
  const berthTar = join(dir, 'berth-image.tar');
  await import('node:child_process').then(({ execFileSync }) => execFileSync('tar', ['-C', IMAGE_DIR, '-cf', berthTar, '.']));
  await cluster.node!.ctr(['images', 'import', '--base-name', 'berth.local/berth', berthTar]);
  const crane = join(dir, 'crane-layout');
  await cluster.script('crane-image', CRANE_IMAGE, crane);
  await cluster.node!.importImage(crane);
  appLayout = join(dir, 'app-layout');
  await cluster.script('probe-image', 'berth.local/app:v1', appLayout);

  await applyCrds(cluster);
  const kubeconfig = await operatorKubeconfig(cluster);
  for (const ns of [REGISTRY_NS, NS]) await kubectl(['create', 'namespace', ns]);
  await kubectl(['create', 'serviceaccount', 'builder', '-n', NS]);
  await kubectl(['create', 'rolebinding', 'builder-push', '-n', NS, '--clusterrole', 'berth-repository-pusher', '--serviceaccount', `${NS}:builder`]);
  await kubectl(['create', 'configmap', 'docker-config', '-n', NS, `--from-literal=config.json=${JSON.stringify({ credHelpers: { [HOST]: 'berth-token' } })}`]);
  const hosts = join(cluster.dir, 'node', 'certs.d', HOST);
  await mkdir(hosts, { recursive: true });
  await writeFile(join(hosts, 'hosts.toml'), `server = "http://${HOST}"\n[host."http://${HOST}"]\n  capabilities = ["pull", "resolve"]\n`);
  operator = await startOperator(kubeconfig, ['--image', `berth.local/berth:${chart.appVersion}`]);
}, 30 * 60_000);

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the Registry pod runs with its auth-delegator binding; a crane pod pushes with its projected token; a Deployment runs the image', async () => {
  await applyJson({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: 'reg', namespace: REGISTRY_NS },
    spec: {
      logLevel: 'debug',
      storage: { size: '1Gi' },
      expose: { host: HOST, service: { type: 'NodePort', nodePort: NODE_PORT } },
      auth: { kubernetes: { enabled: true } },
    },
  });
  await applyJson({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'app', namespace: NS },
    spec: { registryRef: { name: 'reg', namespace: REGISTRY_NS }, path: 'team-a/app', pullSecret: { namespaces: [NS], serviceAccounts: ['default'] } },
  });
  const binding: Obj = await waitFor('the auth-delegator binding', () => cluster.getJson(['clusterrolebinding', `berth-auth-delegator.${REGISTRY_NS}.reg`]).catch(() => undefined));
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'reg-registry', namespace: REGISTRY_NS }]);
  await kubectl(['-n', REGISTRY_NS, 'rollout', 'status', 'deployment/reg', '--timeout=3m']);

  const ref = `${HOST}/team-a/app:v1`;
  await applyIn(cluster, NS, pushPod('push', ref));
  await waitForPhase(cluster, NS, 'push', ['Succeeded'], 180_000);
  const registryLogs = await kubectl(['-n', REGISTRY_NS, 'logs', 'deployment/reg']);
  expect(registryLogs).toContain(`system:serviceaccount:${NS}:builder`);

  await waitFor('the pull Secret on the default ServiceAccount', async () => {
    const sa: Obj = await cluster.getJson(['serviceaccount', 'default', '-n', NS]);
    return (sa.imagePullSecrets ?? []).length > 0;
  }, 60_000, 500);
  await kubectl(['-n', NS, 'create', 'deployment', 'app', `--image=${ref}`, '--', '/probe', 'serve', '8080', 'pushed by a pod']);
  await kubectl(['-n', NS, 'rollout', 'status', 'deployment/app', '--timeout=3m']);
});
