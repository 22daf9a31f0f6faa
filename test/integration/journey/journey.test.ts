/**
 * The README's "Install on Kubernetes", run on the real node of `npm run dev:cluster -- --node`, command for command
 * (helpers/user-shell.ts refuses a line the README does not say): the Berth image imported into the node,
 * `helm install`, a Registry on a NodePort serving HTTPS with a certificate the operator issued (nodes and the
 * pushing client trust the CA it published), with its PVC from the default StorageClass, a push with the push Secret
 * the operator wrote, Deployments pulling through the pull Secrets with no imagePullSecrets of their own,
 * revocation of a cached image, rotation, a registry pod restart, `helm upgrade` and `helm uninstall`.
 * The steps share one cluster and run in order. Timings are printed, never asserted.
 */
import { jest } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../helpers/berth-process.js';
import { runOk, tool } from '../../helpers/tools.js';
import { startCluster, type Cluster } from '../operator/helpers/cluster.js';
import { waitFor } from '../operator/helpers/wait.js';
import { waitForPhase } from '../node/helpers/node.js';
import { ensureBerthImage } from './helpers/berth-image.js';
import { userShell, type UserShell } from './helpers/user-shell.js';

jest.setTimeout(600_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The README's lines, in the order the journey runs them. */
const README = {
  importImage: 'tar -C dist/image -cf berth-image.tar . && ctr -n k8s.io images import --base-name berth.local/berth berth-image.tar',
  install: 'helm install berth charts/berth --namespace berth-system --create-namespace --set image.repository=berth.local/berth',
  operatorRollout: 'kubectl -n berth-system rollout status deployment/berth-operator --timeout=5m',
  applyRegistry: 'kubectl apply -f deploy/examples/registry-nodeport.yaml',
  registryAvailable: 'kubectl -n berth-system wait registry/registry --for=condition=Available --timeout=5m',
  fetchCa: "mkdir -p certs && kubectl -n berth-system get configmap registry-ca -o jsonpath='{.data.ca\\.crt}' > certs/ca.crt",
  hostsDir: 'mkdir -p "$CERTS_D/localhost:30500" && cp certs/ca.crt "$CERTS_D/localhost:30500/ca.crt"',
  hostsToml: `printf 'server = "https://localhost:30500"\\n[host."https://localhost:30500"]\\n  capabilities = ["pull", "resolve"]\\n  ca = "%s"\\n' "$CERTS_D/localhost:30500/ca.crt" > "$CERTS_D/localhost:30500/hosts.toml"`,
  teamA: 'kubectl create namespace team-a',
  app: 'kubectl create namespace app && kubectl label namespace app berth.dev/pull-team-a=true && kubectl annotate namespace app berth.dev/accept-from=team-a',
  applyRepository: 'kubectl apply -f deploy/examples/repository.yaml',
  credentialsSynced: 'kubectl -n team-a wait repository/api --for=condition=CredentialsSynced --timeout=2m',
  pushAuth: "kubectl -n team-a get secret api-push -o jsonpath='{.data.\\.dockerconfigjson}' | base64 -d > push-auth.json",
  push: 'skopeo copy --dest-authfile push-auth.json --dest-cert-dir certs "$SOURCE" docker://localhost:30500/team-a/api:v1',
  deployTeamA: 'kubectl -n team-a create deployment api --image=localhost:30500/team-a/api:v1',
  deployApp: 'kubectl -n app create deployment api --image=localhost:30500/team-a/api:v1',
  deselect: 'kubectl label namespace app berth.dev/pull-team-a-',
  rotate: 'kubectl annotate repository api -n team-a berth.dev/rotate="$(date +%s)" --overwrite',
  upgrade: 'helm upgrade berth charts/berth --namespace berth-system --reuse-values --set logLevel=debug',
  uninstall: 'helm uninstall berth --namespace berth-system',
} as const;

const IMAGE = 'localhost:30500/team-a/api:v1';
const REFUSED = ['ErrImagePull', 'ImagePullBackOff'];
const timings: Array<[string, number, string]> = [];
let cluster: Cluster;
let shell: UserShell;
let appLayout: string;
let pushedDigest: string;

const seconds = (from: number): number => (Date.now() - from) / 1000;
const timed = (what: string, from: number): void => void timings.push([what, seconds(from), 's']);
const kubectl = (args: string[]): Promise<string> => cluster.kubectl(args);
const getJson = (args: string[]): Promise<Obj> => cluster.getJson(args);
const exists = (args: string[]): Promise<boolean> => getJson(args).then(() => true, () => false);

/**
 * The namespaces of the journey: team-a and app as the README creates them (app selected by label), and `other`,
 * which no Repository selects. The one place to add what a namespace must carry to receive pull Secrets.
 */
async function createNamespaces(): Promise<void> {
  await shell.run(README.teamA);
  await shell.run(README.app);
  await kubectl(['create', 'namespace', 'other']);
}

/** Runs a bare pod of IMAGE (IfNotPresent unless told) in NAMESPACE. */
async function runPod(namespace: string, name: string, pullPolicy = 'IfNotPresent'): Promise<void> {
  await kubectl(['-n', namespace, 'run', name, `--image=${IMAGE}`, `--image-pull-policy=${pullPolicy}`, '--restart=Never']);
}

/** Waits until the pod's container waits with one of REASONS (e.g. ErrImagePull). */
async function waitForWaiting(namespace: string, name: string, reasons: string[]): Promise<string> {
  return waitFor(`pod ${namespace}/${name} waiting with ${reasons.join('|')}`, async () => {
    const pod = await getJson(['pod', name, '-n', namespace]);
    if (pod.status?.phase === 'Running') throw new Error(`pod ${namespace}/${name} runs`);
    const reason: string | undefined = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    return reason && reasons.includes(reason) ? reason : undefined;
  }, 120_000, 500);
}

/** Names, restart counts and phases of the pods of Deployment NAME. */
async function deploymentPods(namespace: string, name: string): Promise<Array<{ name: string; restarts: number; phase: string }>> {
  const deployment = await getJson(['deployment', name, '-n', namespace]);
  const selector = Object.entries(deployment.spec.selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = await getJson(['pods', '-n', namespace, '-l', selector]);
  return pods.items
    .filter((p: Obj) => !p.metadata.deletionTimestamp)
    .map((p: Obj) => ({ name: p.metadata.name, restarts: p.status.containerStatuses?.[0]?.restartCount ?? 0, phase: p.status.phase }));
}

/** Resident set size of the registry container, from its task's /proc entry on the node. */
async function registryRssMiB(): Promise<number> {
  const [pod] = await deploymentPods('berth-system', 'registry');
  const status = await getJson(['pod', pod!.name, '-n', 'berth-system']);
  const id = String(status.status.containerStatuses[0].containerID).replace(/^containerd:\/\//, '');
  const line = (await cluster.node!.ctr(['tasks', 'ls'])).split('\n').find((l) => l.startsWith(id));
  const pid = line!.trim().split(/\s+/)[1];
  const kib = /^VmRSS:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kib) / 1024;
}

/**
 * The registry pulled back with the push credential, over TLS verified against the published CA: skopeo verifies
 * every blob's digest. Returns the manifest digest.
 */
async function pullBackDigest(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-journey-pull-'));
  try {
    const auth = join(shell.dir, 'push-auth.json');
    const certs = join(shell.dir, 'certs');
    await runOk(tool('skopeo'), ['copy', '--src-authfile', auth, '--src-cert-dir', certs, `docker://${IMAGE}`, `oci:${dir}/layout`]);
    const inspect = await runOk(tool('skopeo'), ['inspect', '--authfile', auth, '--cert-dir', certs, `docker://${IMAGE}`]);
    return JSON.parse(inspect).Digest as string;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  const started = Date.now();
  const appVersion = parseYaml(await readFile(join(REPO_ROOT, 'charts', 'berth', 'Chart.yaml'), 'utf8')).appVersion as string;
  await Promise.all([
    ensureBerthImage(appVersion).then((how) => timed(`Berth image ${how} (npm run image)`, started)),
    startCluster({ node: true }).then((c) => {
      cluster = c;
      timed('control plane + node cold start', started);
    }),
  ]);
  shell = await userShell(cluster);
  appLayout = join(shell.dir, 'app-image');
  await cluster.script('probe-image', 'berth.local/journey-app:v1', appLayout);
}, 20 * 60_000);

afterAll(async () => {
  console.log(`journey timings:\n${timings.map(([what, value, unit]) => `  ${what}: ${value.toFixed(1)} ${unit}`).join('\n')}`);
  await cluster?.stop();
  await shell?.remove();
});

test('1. helm install: the operator pod runs from the imported image and holds the Lease', async () => {
  await shell.run(README.importImage);
  expect(await cluster.node!.ctr(['images', 'ls', '-q'])).toContain('berth.local/berth:0.1.0');
  const started = Date.now();
  await shell.run(README.install);
  await shell.run(README.operatorRollout);
  const [pod] = await deploymentPods('berth-system', 'berth-operator');
  expect(pod).toMatchObject({ phase: 'Running', restarts: 0 });
  await waitFor('the operator to hold the Lease', async () => {
    const lease = await getJson(['lease', 'berth-operator', '-n', 'berth-system']);
    return lease.spec.holderIdentity === pod!.name;
  }, 60_000, 500);
  timed('helm install -> operator Ready and leader', started);
});

/** The certificate the registry serves at localhost:30500, verified against CA (rejects when it does not verify). */
function servedCertificate(ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: 30500, servername: 'localhost', ca }, () => {
      const cert = socket.getPeerX509Certificate()!;
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

test('2. a Registry on a NodePort with TLS: its pod runs, its PVC is Bound by the provisioner, it is Available', async () => {
  const started = Date.now();
  await shell.run(README.applyRegistry);
  await shell.run(README.registryAvailable);
  timed('Registry applied -> Available', started);
  await shell.run(README.fetchCa);
  const certsD = join(cluster.dir, 'node', 'certs.d');
  await shell.run(README.hostsDir, { CERTS_D: certsD });
  await shell.run(README.hostsToml, { CERTS_D: certsD });
  const ca = await readFile(join(shell.dir, 'certs', 'ca.crt'), 'utf8');
  expect((await getJson(['secret', 'berth-ca', '-n', 'berth-system'])).data['tls.crt']).toBe(Buffer.from(ca).toString('base64'));
  const served = await servedCertificate(ca);
  expect(served.subjectAltName).toContain('DNS:localhost');
  const registry = await getJson(['registry', 'registry', '-n', 'berth-system']);
  expect(registry.status).toMatchObject({ url: 'https://localhost:30500', tls: { secretName: 'registry-tls', caConfigMap: 'registry-ca' } });
  const claim = await getJson(['pvc', 'registry-data', '-n', 'berth-system']);
  expect(claim.status.phase).toBe('Bound');
  expect(claim.spec.storageClassName).toBe('local-path');
  const pods = await deploymentPods('berth-system', 'registry');
  expect(pods).toEqual([expect.objectContaining({ phase: 'Running', restarts: 0 })]);
  timings.push(['registry pod RSS', await registryRssMiB(), 'MiB']);
});

test('3-4. a Repository, a push with its push Secret, and Deployments in both selected namespaces pulling', async () => {
  await createNamespaces();
  const started = Date.now();
  await shell.run(README.applyRepository);
  await shell.run(README.credentialsSynced);
  await shell.run(README.pushAuth);
  await shell.run(README.push, { SOURCE: `oci:${appLayout}` });
  pushedDigest = await pullBackDigest();
  await shell.run(README.deployTeamA);
  await shell.run(README.deployApp);
  await kubectl(['-n', 'team-a', 'rollout', 'status', 'deployment/api', '--timeout=3m']);
  timed('Repository applied -> first workload Ready (push included)', started);
  await kubectl(['-n', 'app', 'rollout', 'status', 'deployment/api', '--timeout=3m']);
  for (const ns of ['team-a', 'app']) {
    const deployment = await getJson(['deployment', 'api', '-n', ns]);
    expect(deployment.spec.template.spec.imagePullSecrets).toBeUndefined();
    const account = await getJson(['serviceaccount', 'default', '-n', ns]);
    expect(account.imagePullSecrets).toEqual([{ name: 'registry-pull' }]);
  }
  await runPod('other', 'api');
  await waitForWaiting('other', 'api', REFUSED);
});

test('5. a namespace taken out of the selection: a new pod there is refused the image cached on the node', async () => {
  expect(await cluster.node!.ctr(['images', 'ls', '-q'])).toContain(IMAGE);
  await shell.run(README.deselect);
  await waitFor('the pull Secret to leave app', async () => !(await exists(['secret', 'registry-pull', '-n', 'app'])), 30_000, 250);
  await runPod('app', 'again');
  await waitForWaiting('app', 'again', REFUSED);
});

test('6. rotation: new pods pull with the new credential, running ones keep running', async () => {
  const before = (await getJson(['secret', 'registry-pull', '-n', 'team-a'])).data['.dockerconfigjson'];
  const running = await deploymentPods('team-a', 'api');
  await shell.run(README.rotate);
  await waitFor('the pull Secret of team-a to change', async () =>
    (await getJson(['secret', 'registry-pull', '-n', 'team-a'])).data['.dockerconfigjson'] !== before, 60_000, 250);
  await runPod('team-a', 'fresh', 'Always');
  await waitForPhase(cluster, 'team-a', 'fresh', ['Running']);
  expect(await deploymentPods('team-a', 'api')).toEqual(running);
});

test('7. the registry pod deleted: it comes back with every layer from the PVC, and pulls work', async () => {
  const [old] = await deploymentPods('berth-system', 'registry');
  await kubectl(['-n', 'berth-system', 'delete', 'pod', old!.name, '--wait=false']);
  await waitFor('a new registry pod', async () => {
    const pods = await deploymentPods('berth-system', 'registry');
    return pods.length === 1 && pods[0]!.name !== old!.name;
  }, 60_000, 250);
  await kubectl(['-n', 'berth-system', 'rollout', 'status', 'deployment/registry', '--timeout=3m']);
  await shell.run(README.registryAvailable);
  expect(await pullBackDigest()).toBe(pushedDigest);
  await runPod('team-a', 'after-restart', 'Always');
  await waitForPhase(cluster, 'team-a', 'after-restart', ['Running']);
});

test('8. helm upgrade rolls the operator and loses nothing; helm uninstall keeps the CRDs and the layers', async () => {
  const [old] = await deploymentPods('berth-system', 'berth-operator');
  const secret = (await getJson(['secret', 'registry-pull', '-n', 'team-a'])).data;
  await shell.run(README.upgrade);
  await shell.run(README.operatorRollout);
  const [pod] = await deploymentPods('berth-system', 'berth-operator');
  expect(pod!.name).not.toBe(old!.name);
  const operator = await getJson(['deployment', 'berth-operator', '-n', 'berth-system']);
  expect(operator.spec.template.spec.containers[0].args).toContain('--log-level=debug');
  await waitFor('the new operator to hold the Lease', async () =>
    (await getJson(['lease', 'berth-operator', '-n', 'berth-system'])).spec.holderIdentity === pod!.name, 60_000, 500);
  await shell.run(README.registryAvailable);
  await shell.run(README.credentialsSynced);
  expect((await getJson(['secret', 'registry-pull', '-n', 'team-a'])).data).toEqual(secret);

  await shell.run(README.uninstall);
  for (const crd of ['registries.berth.dev', 'repositories.berth.dev']) expect(await exists(['crd', crd])).toBe(true);
  expect(await exists(['deployment', 'berth-operator', '-n', 'berth-system'])).toBe(false);
  const claim = await getJson(['pvc', 'registry-data', '-n', 'berth-system']);
  expect(claim.status.phase).toBe('Bound');
  const pv = await getJson(['pv', claim.spec.volumeName]);
  const files = await readdir(pv.spec.hostPath?.path ?? pv.spec.local.path, { recursive: true });
  expect(files.some((f) => f.includes(pushedDigest.replace(/^sha256:/, '')))).toBe(true);
});
