/**
 * Issue 9, the tenancy contract on a real control plane (the operator as its own process with its ServiceAccount; a
 * real `berth serve` reading the policy the operator writes): a Repository in team-a delivers pull Secrets only
 * where consent exists, cannot rename another namespace's pull Secret, leaves alone Secrets labelled like ours by
 * hand, and a Repository with an invalid user name is refused alone while every other Repository's changes keep
 * reaching the registry.
 */
import { jest } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { applyObject, REGISTRY, REGISTRY_NS, repositoryManifest, secretText, startAccessEnv, startRenderedRegistry, type AccessEnv } from './helpers/access-env.js';
import { sleep, waitFor } from './helpers/wait.js';

jest.setTimeout(180_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PULL = `${REGISTRY}-pull`;
let env: AccessEnv;
let berth: BerthProcess;
let rendered: Obj;

const kubectl = (args: string[]) => env.cluster.kubectl(args);
const getJson = (args: string[]): Promise<Obj | undefined> => env.cluster.getJson(args).catch(() => undefined);
const secret = (ns: string, name = PULL) => getJson(['secret', name, '-n', ns]);
const condition = (r: Obj | undefined, type: string): Obj | undefined => r?.status?.conditions?.find((c: Obj) => c.type === type);
const ourLabels = {
  'app.kubernetes.io/managed-by': 'berth-operator',
  'app.kubernetes.io/component': 'pull-secret',
  'berth.dev/source-registry': REGISTRY,
  'berth.dev/source-registry-namespace': REGISTRY_NS,
};
const handMade = (ns: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: ns, labels: ourLabels },
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': Buffer.from('{"auths":{"mine.example":{"auth":"bWU6bWluZQ=="}}}').toString('base64') },
});

async function events(ns: string, name: string): Promise<string[]> {
  const list = await env.cluster.getJson(['events', '-n', ns, '--field-selector', `involvedObject.name=${name}`]);
  return list.items.map((e: Obj) => `${e.type}/${e.reason}: ${e.message}`);
}

async function logsIn(username: string, password: string): Promise<boolean> {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  const res = await fetch(`${berth.url}/token?service=${encodeURIComponent(env.host)}&scope=repository:team-a/good:pull`, { headers: { Authorization: `Basic ${auth}` } });
  return res.status === 200;
}

beforeAll(async () => {
  env = await startAccessEnv(['--resync-period', '10m']);
  ({ berth, config: rendered } = await startRenderedRegistry(env));
  for (const ns of ['team-a', 'team-b', 'team-c', 'team-d']) await kubectl(['create', 'namespace', ns]);
  // team-b and team-d consent to pull Secrets from team-a; team-c and kube-system do not.
  for (const ns of ['team-b', 'team-d']) await kubectl(['annotate', 'namespace', ns, 'berth.dev/accept-from=team-a']);
  // Labelled like ours by hand: team-c's at a name nobody plans (the operator once deleted those as unwanted),
  // team-d's at the very name the operator plans there.
  await applyObject(env.cluster, handMade('team-c', 'decoy'));
  await applyObject(env.cluster, handMade('team-d', PULL));
}, 15 * 60_000);

afterAll(async () => {
  await berth?.stop();
  await env?.stop();
});

describe('consent for cross-namespace delivery', () => {
  test('a Repository in team-a selecting kube-system, team-b and {} gets Secrets only where consent exists', async () => {
    await applyObject(env.cluster, repositoryManifest('team-a', 'wide', {
      path: 'team-a/wide',
      pullSecret: { namespaces: ['kube-system', 'team-b'], namespaceSelector: {}, serviceAccounts: ['default'] },
    }));
    await waitFor('the pull Secrets in team-a and team-b', async () => (await secret('team-a')) !== undefined && (await secret('team-b')) !== undefined, 30_000);
    const repo = await waitFor('the refusal in the status', async () => {
      const r = await getJson(['repository', 'wide', '-n', 'team-a']);
      return condition(r, 'CredentialsSynced')?.reason === 'ConsentRequired' ? r : undefined;
    });
    expect(condition(repo, 'CredentialsSynced')).toMatchObject({ status: 'False', message: expect.stringMatching(/kube-system/) });
    expect(condition(repo, 'CredentialsSynced')!.message).toMatch(/berth\.dev\/accept-from=team-a/);
    expect(condition(repo, 'CredentialsSynced')!.message).toMatch(/spec\.tenancy\.pullSecretGrants/);
    for (const ns of ['kube-system', 'team-c', 'default', REGISTRY_NS]) expect(await secret(ns)).toBeUndefined();
    const sa = await getJson(['serviceaccount', 'default', '-n', 'kube-system']);
    expect(sa?.imagePullSecrets ?? []).toEqual([]);
    expect(await waitFor('the Warning Event', async () => (await events('team-a', 'wide')).find((e) => e.startsWith('Warning/ConsentRequired')))).toMatch(/accept-from/);
  });

  test('consent given later (the namespace annotated) delivers within 5 s; taken back, the Secret goes', async () => {
    await kubectl(['annotate', 'namespace', 'team-c', 'berth.dev/accept-from=team-x,team-a']);
    await waitFor('the Secret in team-c', async () => (await secret('team-c')) !== undefined, 5_000, 50);
    await kubectl(['annotate', 'namespace', 'team-c', 'berth.dev/accept-from-']);
    await waitFor('the Secret gone from team-c', async () => (await secret('team-c')) === undefined, 5_000, 50);
  });
});

describe('names and ownership', () => {
  test("a conflicting secretName in team-a cannot rename team-b's pull Secret", async () => {
    await applyObject(env.cluster, repositoryManifest('team-a', 'rename', { path: 'team-a/rename', pullSecret: { namespaces: ['team-b'], secretName: 'hijack' } }));
    await waitFor('the rename Repository to be seen', async () => condition(await getJson(['repository', 'rename', '-n', 'team-a']), 'Ready')?.status === 'True');
    await sleep(1_500);
    expect(await secret('team-b', 'hijack')).toBeUndefined();
    expect(secretText((await secret('team-b'))!, '.dockerconfigjson')).toContain('pull.team-b');
  });

  test('Secrets labelled by hand like ours are left alone: never deleted, never overwritten, and the status says so', async () => {
    await applyObject(env.cluster, repositoryManifest('team-a', 'tod', { path: 'team-a/tod', pullSecret: { namespaces: ['team-d'] } }));
    const repo = await waitFor('SecretNameTaken', async () => {
      const r = await getJson(['repository', 'tod', '-n', 'team-a']);
      return condition(r, 'CredentialsSynced')?.reason === 'SecretNameTaken' ? r : undefined;
    });
    expect(condition(repo, 'CredentialsSynced')!.message).toMatch(/team-d\/reg-pull.*left alone/);
    expect(secretText((await secret('team-d'))!, '.dockerconfigjson')).toContain('mine.example');
    expect(secretText((await secret('team-c', 'decoy'))!, '.dockerconfigjson')).toContain('mine.example');
    expect(await waitFor('the Warning Event', async () => (await events('team-a', 'tod')).find((e) => e.startsWith('Warning/SecretNameTaken')))).toBeDefined();
  });
});

describe('per-Repository isolation of the policy', () => {
  test('a Repository with an invalid user name is refused alone while a robot removed from another Repository stops pulling within 5 s', async () => {
    // The CRD now refuses such a name; the operator must not rely on it (a CRD of an older release may be installed):
    // take the pattern off, as an older CRD would be.
    const path = '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/access/items/properties/users/items/pattern';
    await kubectl(['patch', 'crd', 'repositories.berth.dev', '--type=json', '-p', JSON.stringify([{ op: 'remove', path }])]);
    await waitFor('the older CRD to take effect', async () =>
      env.cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: JSON.stringify(repositoryManifest('team-a', 'probe', { path: 'team-a/probe', access: [{ users: ['evil user'], actions: ['pull'] }] })) }).then(() => true, () => false));
    await applyObject(env.cluster, repositoryManifest('team-a', 'good', { path: 'team-a/good', pushCredentials: { enabled: true } }));
    const push = await waitFor('the push Secret', async () => secret('team-a', 'good-push'), 30_000);
    const [user, password] = [secretText(push, 'username'), secretText(push, 'password')];
    await waitFor('the push robot to log in', () => logsIn(user, password), 10_000);

    await applyObject(env.cluster, repositoryManifest('team-a', 'bad', { path: 'team-a/bad', access: [{ users: ['evil user'], actions: ['pull'] }] }));
    const bad = await waitFor('the refusal', async () => {
      const r = await getJson(['repository', 'bad', '-n', 'team-a']);
      return condition(r, 'Ready')?.status === 'False' ? r : undefined;
    });
    expect(condition(bad, 'Ready')).toMatchObject({ reason: 'InvalidAccess', message: expect.stringMatching(/"evil user" is not an account name/) });
    expect(condition(await getJson(['repository', 'good', '-n', 'team-a']), 'Ready')?.status).toBe('True');

    const start = Date.now();
    await applyObject(env.cluster, repositoryManifest('team-a', 'good', { path: 'team-a/good', pushCredentials: { enabled: false } }));
    await waitFor('the removed robot to stop logging in', async () => !(await logsIn(user, password)), 5_000, 50);
    console.log(`robot removed (with an invalid Repository present) → refused by the registry: ${Date.now() - start} ms`);
    const policy = secretText((await getJson(['secret', `${REGISTRY}-policy`, '-n', REGISTRY_NS]))!, 'policy.yaml');
    expect(policy).not.toContain('evil');
    expect(policy).toContain('team-a/wide');
  });
});

describe('the registry without its policy Secret at start (issue 11)', () => {
  test('stays up and not ready (/readyz 503), retrying; ready once the Secret can be read, with its policy', async () => {
    const file = join(env.dir, 'late-config.yaml');
    const auth = { ...rendered.auth, signingKeyFile: join(env.dir, 'signing-key.pem'), policySecret: { ...rendered.auth.policySecret, name: 'late-policy' } };
    await writeFile(file, stringify({ ...rendered, http: { ...rendered.http, addr: '127.0.0.1:0' }, auth }));
    const late = await startBerth({ config: file, env: { KUBECONFIG: env.cluster.kubeconfig } });
    try {
      await sleep(1_500);
      expect(late.child.exitCode).toBeNull();
      expect((await fetch(`${late.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${late.url}/readyz`)).status).toBe(503);
      const policy = 'version: 1\nrules:\n  - { repositories: [late/**], principals: [everyone], actions: [pull] }\n';
      await kubectl(['create', 'secret', 'generic', 'late-policy', '-n', REGISTRY_NS, `--from-literal=policy.yaml=${policy}`]);
      await waitFor('/readyz 200', async () => (await fetch(`${late.url}/readyz`)).status === 200, 15_000, 100);
      const token = await fetch(`${late.url}/token?service=${encodeURIComponent(String(auth.service))}&scope=repository:late/app:pull`);
      const jwt = ((await token.json()) as Obj).token as string;
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
      expect(claims.access).toEqual([{ type: 'repository', name: 'late/app', actions: ['pull'] }]);
      expect(late.child.exitCode).toBeNull();
    } finally {
      await late.stop();
    }
  });
});
