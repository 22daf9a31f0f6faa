/**
 * People and workloads of a Registry, with the operator on a real control plane (as its own ServiceAccount, with
 * the RBAC of deploy/rbac):
 * - spec.auth.kubernetes.enabled makes the operator bind the registry pods' ServiceAccount to
 *   berth-registry-auth-delegator; a `berth serve` running with the Registry's rendered config as that
 *   ServiceAccount (what its pod is) checks Kubernetes logins; disabling it, or deleting the Registry, removes the
 *   binding, and the same registry can no longer check them (fails closed);
 * - spec.auth.usersSecret: a person of that Secret named in a Repository's spec.access.users pushes through that
 *   registry, a name the Secret lacks is reported in the Repository's status, and removing the person from the
 *   Secret revokes the access.
 */
import { jest } from '@jest/globals';
import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startOperator, type OperatorProcess } from './helpers/operator-process.js';
import { applyCrds, operatorKubeconfig } from './helpers/service-account.js';
import { waitFor } from './helpers/wait.js';

jest.setTimeout(300_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'team-a';
const REG = 'reg';
const HOST = `${REG}.${NS}.svc:5000`;
const BINDING = `berth-auth-delegator.${NS}.${REG}`;
const REPO = 'team-a/api';
const ALICE_PASSWORD = 'alice-correct-horse-battery';

let cluster: Cluster;
let operator: OperatorProcess;
let saKubeconfig: string;
let dir: string;
let registry: BerthProcess | undefined;

const kubectl = (args: string[], input?: string): Promise<string> => cluster.kubectl(args, input === undefined ? {} : { input });
const applyJson = (obj: object): Promise<string> => kubectl(['apply', '--server-side', '--field-manager', 'test', '-f', '-'], JSON.stringify(obj));
const bindingExists = (): Promise<Obj | undefined> => cluster.getJson(['clusterrolebinding', BINDING]).then((b: Obj) => b, () => undefined);

async function applyRegistry(enabled: boolean): Promise<void> {
  await applyJson({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name: REG, namespace: NS },
    spec: { auth: { kubernetes: { enabled, cacheTtl: '1s' }, usersSecret: 'people' } },
  });
}

async function usersSecret(lines: string[]): Promise<void> {
  await applyJson({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'people', namespace: NS }, stringData: { users: `${lines.join('\n')}\n` } });
}

function kubeconfigFor(token: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caData).toString('base64') } }],
    users: [{ name: 'u', user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'c',
  };
}

const secretText = (s: Obj, key: string): string => Buffer.from(s.data[key], 'base64').toString('utf8');

/**
 * `berth serve` as the Registry's pod runs it: the config the operator rendered (its signing key and policy file
 * paths moved into a temp dir), authenticated as the pods' ServiceAccount.
 */
async function startRegistryAsItsPod(): Promise<BerthProcess> {
  const config = parseYaml(secretText(await cluster.getJson(['secret', `${REG}-config`, '-n', NS]), 'config.yaml')) as Obj;
  await writeFile(join(dir, 'signing-key.pem'), secretText(await cluster.getJson(['secret', `${REG}-signing-key`, '-n', NS]), 'signing-key.pem'), { mode: 0o600 });
  await writeFile(join(dir, 'policy.yaml'), 'version: 1\n');
  config.auth.signingKeyFile = join(dir, 'signing-key.pem');
  config.auth.policyFile = join(dir, 'policy.yaml');
  delete config.http.addr;
  delete config.storage;
  await writeFile(join(dir, 'config.yaml'), stringify(config));
  const token = (await kubectl(['create', 'token', `${REG}-registry`, '-n', NS, '--duration=2h'])).trim();
  await writeFile(join(dir, 'registry.kubeconfig'), stringify(kubeconfigFor(token)), { mode: 0o600 });
  return startBerth({ config: join(dir, 'config.yaml'), env: { KUBECONFIG: join(dir, 'registry.kubeconfig') } });
}

interface Login {
  status: number;
  scope?: string;
  token?: string;
}

async function login(username: string, password: string, scope = `repository:${REPO}:pull,push`): Promise<Login> {
  const url = `${registry!.url}/token?service=${encodeURIComponent(HOST)}&scope=${encodeURIComponent(scope)}`;
  const res = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
  const body = (await res.json()) as { scope?: string; token?: string };
  return { status: res.status, scope: body.scope, token: body.token };
}

const BLOB = Buffer.from('a layer pushed by a person of the users Secret');
const DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;

async function pushBlob(token: string | undefined): Promise<number> {
  const res = await fetch(`${registry!.url}/v2/${REPO}/blobs/uploads/?digest=${DIGEST}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: BLOB,
  });
  await res.arrayBuffer();
  return res.status;
}

const ciToken = async (): Promise<string> => (await kubectl(['create', 'token', 'ci', '-n', NS, '--duration=1h', '--audience', HOST])).trim();

beforeAll(async () => {
  cluster = await startCluster();
  dir = await mkdtemp(join(tmpdir(), 'berth-identities-'));
  await applyCrds(cluster);
  saKubeconfig = await operatorKubeconfig(cluster);
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['create', 'serviceaccount', 'ci', '-n', NS]);
  await kubectl(['create', 'rolebinding', 'ci-push', '-n', NS, '--clusterrole', 'berth-repository-pusher', '--serviceaccount', `${NS}:ci`]);
  await usersSecret([`alice:${bcrypt.hashSync(ALICE_PASSWORD, 10)}`]);
  // The default resync period (minutes): a users Secret edit is picked up by the access controller's own recheck.
  operator = await startOperator(saKubeconfig, ['--image', 'berth:test']);
}, 15 * 60_000);

afterAll(async () => {
  await registry?.stop();
  await operator?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the operator may bind the auth-delegator role, and nothing more', () => {
  test.each<[string, string]>([
    ['bind clusterroles/berth-registry-auth-delegator', 'yes'],
    ['bind clusterroles/cluster-admin', 'no'],
    ['bind clusterroles/berth-repository-admin', 'no'],
    ['create tokenreviews.authentication.k8s.io', 'no'],
    ['create subjectaccessreviews.authorization.k8s.io', 'no'],
    ['create clusterrolebindings', 'yes'],
  ])('can-i %s: %s', async (what, answer) => {
    const allowed = await cluster.kubectl(['auth', 'can-i', '--quiet', ...what.split(' ')], { kubeconfig: saKubeconfig }).then(
      () => 'yes',
      () => 'no',
    );
    expect(allowed).toBe(answer);
  });
});

describe('spec.auth.kubernetes.enabled: the registry pods may check Kubernetes identities', () => {
  test('enabled: the binding exists, and the registry, as its pods\' ServiceAccount, logs a Kubernetes identity in', async () => {
    await applyRegistry(true);
    const binding = await waitFor('the auth-delegator binding', bindingExists);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'berth-registry-auth-delegator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: `${REG}-registry`, namespace: NS }]);
    expect(binding.metadata.labels).toMatchObject({ 'berth.dev/registry': REG, 'berth.dev/registry-namespace': NS });
    registry = await startRegistryAsItsPod();
    expect(await login('ci', await ciToken())).toMatchObject({ status: 200, scope: `repository:${REPO}:pull,push` });
  });

  test('disabled: the binding is deleted, and the registry can no longer check a token (refused, never let in)', async () => {
    await applyRegistry(false);
    await waitFor('the binding gone', async () => !(await bindingExists()));
    // RBAC in the API server follows the delete within a moment; cached decisions expire after cacheTtl (1s).
    const reply = await waitFor('login refused', async () => {
      const r = await login('ci', await ciToken());
      return r.status !== 200 ? r : undefined;
    });
    expect([401, 503]).toContain(reply.status);
    expect(reply.token).toBeUndefined();
  });

  test('a binding deleted by hand comes back; the Registry deleted: the binding is deleted', async () => {
    await applyRegistry(true);
    await waitFor('the binding', bindingExists);
    await kubectl(['delete', 'clusterrolebinding', BINDING]);
    await waitFor('the binding restored', bindingExists);
    await kubectl(['delete', 'registry', REG, '-n', NS, '--wait=true']);
    await waitFor('the binding gone with its Registry', async () => !(await bindingExists()));
  });
});

describe('spec.auth.usersSecret: people named in spec.access.users', () => {
  const repoStatus = (): Promise<Obj> => cluster.getJson(['repository', 'api', '-n', NS]);

  beforeAll(async () => {
    await registry?.stop();
    registry = undefined;
    await applyRegistry(true);
    await waitFor('the config Secret', () => cluster.getJson(['secret', `${REG}-config`, '-n', NS]).then(() => true, () => false));
    await applyJson({
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'Repository',
      metadata: { name: 'api', namespace: NS },
      spec: { registryRef: { name: REG }, path: REPO, access: [{ users: ['alice', 'carol'], actions: ['pull', 'push'] }] },
    });
    registry = await startRegistryAsItsPod();
  });

  test('a name the Secret does not define is reported in the Repository status, with the name', async () => {
    const condition = await waitFor('UsersResolved', async () => (await repoStatus()).status?.conditions?.find((c: Obj) => c.type === 'UsersResolved'));
    expect(condition).toMatchObject({ status: 'False', reason: 'UnknownUsers' });
    expect(condition.message).toContain('carol');
    expect(condition.message).not.toContain('alice,');
  });

  test('alice, from the users Secret, logs in with her password and pushes', async () => {
    const reply = await waitFor('alice may push', async () => {
      const r = await login('alice', ALICE_PASSWORD);
      return r.scope === `repository:${REPO}:pull,push` ? r : undefined;
    }, 30_000, 500);
    expect(await pushBlob(reply.token)).toBe(201);
    expect((await login('alice', 'a wrong password')).status).toBe(401);
  });

  test('alice removed from the Secret: her next login is refused (within the recheck period)', async () => {
    await usersSecret([`bob:${bcrypt.hashSync('bob-password', 10)}`]);
    await waitFor('alice refused', async () => (await login('alice', ALICE_PASSWORD)).status === 401, 60_000, 1_000);
    const policy = secretText(await cluster.getJson(['secret', `${REG}-policy`, '-n', NS]), 'policy.yaml');
    expect(policy).not.toContain('alice');
    expect(policy).not.toContain('bob');
    const condition = (await repoStatus()).status.conditions.find((c: Obj) => c.type === 'UsersResolved');
    expect(condition.message).toMatch(/alice, carol/);
  });
});
