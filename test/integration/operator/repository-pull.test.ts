/**
 * The pull a pod would make. Namespaces and Repositories are declared on a real control plane; the operator (its
 * own process, its own ServiceAccount) writes the policy and the pull Secrets; a real `berth serve` runs with the
 * config and the policy the operator rendered (the policy read through the API, as the registry's own
 * ServiceAccount). Each pull Secret is taken exactly as it landed in its namespace: its `.dockerconfigjson` is the
 * auth file of podman and skopeo, and its credentials are ctr's `--user`.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BerthProcess } from '../../helpers/berth-process.js';
import { startContainerd, type ContainerdProcess } from '../../helpers/containerd.js';
import { createTestImage, type TestImage } from '../../helpers/oci-layout.js';
import { createPrivatePodman, type PrivatePodman } from '../../helpers/podman.js';
import { run, runOk, tool } from '../../helpers/tools.js';
import { applyObject, REGISTRY, REGISTRY_NS, repositoryManifest, secretText, startAccessEnv, startRenderedRegistry, type AccessEnv } from './helpers/access-env.js';
import { waitFor } from './helpers/wait.js';

jest.setTimeout(300_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let env: AccessEnv;
let berth: BerthProcess;
let service: string;
let image: TestImage;
const scratch: string[] = [];
const REFUSED = /denied|unauthori[sz]ed|403|401|forbidden|authentication required|requested access to the resource/i;
const OVERLAP_S = 20;

const kubectl = (args: string[]) => env.cluster.kubectl(args);
const getSecret = (ns: string, name: string): Promise<Obj | undefined> => env.cluster.getJson(['secret', name, '-n', ns]).catch(() => undefined);

beforeAll(async () => {
  env = await startAccessEnv(['--resync-period', '10m']);
  ({ berth } = await startRenderedRegistry(env));
  service = env.host;
  for (const ns of ['team-a', 'app', 'other']) await kubectl(['create', 'namespace', ns]);
  await kubectl(['label', 'namespace', 'app', 'pulls/team-a=yes']);
  // Issue 9: app and other consent to pull Secrets from team-a (deliveries into other namespaces need consent).
  for (const ns of ['app', 'other']) await kubectl(['annotate', 'namespace', ns, 'berth.dev/accept-from=team-a']);
  await applyObject(env.cluster, repositoryManifest('team-a', 'api', {
    path: 'team-a/api',
    pullSecret: { namespaces: ['team-a'], namespaceSelector: { matchLabels: { 'pulls/team-a': 'yes' } } },
    pushCredentials: { enabled: true },
    rotation: { overlap: `${OVERLAP_S}s` },
  }));
  await applyObject(env.cluster, repositoryManifest('team-a', 'internal', {
    path: 'team-a/internal',
    pullSecret: { namespaces: ['other'] },
    pushCredentials: { enabled: true },
  }));
  await applyObject(env.cluster, repositoryManifest('team-a', 'tools', { path: 'team-a/tools', visibility: 'Public', pushCredentials: { enabled: true } }));
  image = await createTestImage({ tag: 'v1', seed: 'repository-pull', layersPerImage: 1, layerSize: 16 * 1024 });
  scratch.push(image.dir);
}, 15 * 60_000);

afterAll(async () => {
  await berth?.stop();
  await env?.stop();
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

/** The Secret's `.dockerconfigjson`, written as is to a file; and the credential in it for the registry host. */
async function authFileOf(secret: Obj): Promise<{ file: string; username: string; password: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-authfile-'));
  scratch.push(dir);
  const text = secretText(secret, '.dockerconfigjson');
  const file = join(dir, 'auth.json');
  await writeFile(file, text);
  const entry = JSON.parse(text).auths[env.host];
  return { file, username: entry.username, password: entry.password };
}

/** Whether the registry's token endpoint accepts a credential (Basic login). */
async function logsIn(username: string, password: string): Promise<boolean> {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  const res = await fetch(`${berth.url}/token?service=${encodeURIComponent(service)}&scope=repository:team-a/api:pull`, { headers: { Authorization: `Basic ${auth}` } });
  return res.status === 200;
}

async function synced(ns: string, name: string): Promise<Obj> {
  return waitFor(`Repository ${ns}/${name} synced`, async () => {
    const r = await env.cluster.getJson(['repository', name, '-n', ns]);
    const ok = ['Ready', 'CredentialsSynced'].every((t) => r.status?.conditions?.find((c: Obj) => c.type === t)?.status === 'True');
    return ok && r.status.observedGeneration === r.metadata.generation ? r : undefined;
  }, 30_000);
}

const skopeo = (): string => tool('skopeo');
const ref = (repo: string, tag = 'v1'): string => `docker://${env.host}/${repo}:${tag}`;

describe('Repositories → policy and Secrets', () => {
  test('status: Ready and CredentialsSynced with the number of namespaces', async () => {
    const api = await synced('team-a', 'api');
    expect(api.status.syncedNamespaces).toBe(2);
    expect(api.metadata.finalizers).toContain('berth.dev/credentials');
    expect((await synced('team-a', 'internal')).status.syncedNamespaces).toBe(1);
  });

  test('each selected namespace holds one dockerconfigjson Secret for the registry host, labelled back to its source', async () => {
    for (const ns of ['team-a', 'app']) {
      const s = await getSecret(ns, `${REGISTRY}-pull`);
      expect(s?.type).toBe('kubernetes.io/dockerconfigjson');
      expect(s?.metadata.labels).toMatchObject({ 'berth.dev/source-registry': REGISTRY, 'berth.dev/source-registry-namespace': REGISTRY_NS });
      expect(s?.metadata.annotations['berth.dev/source-repositories']).toBe('team-a/api');
      const auth = await authFileOf(s!);
      expect(auth.username).toBe(`pull.${ns}`);
      expect(JSON.parse(secretText(s!, '.dockerconfigjson')).auths[env.host].auth).toBe(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
    }
    expect(await getSecret('other', `${REGISTRY}-pull`)).toBeDefined();
  });

  test('CI pushes with the push Secret of its Repository', async () => {
    await synced('team-a', 'tools');
    for (const repo of ['api', 'internal', 'tools']) {
      const push = await authFileOf((await getSecret('team-a', `${repo}-push`))!);
      await runOk(skopeo(), ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', '--dest-authfile', push.file, image.reference, ref(`team-a/${repo}`)]);
    }
  });

  test('a Public Repository is pulled anonymously; a Private one is not', async () => {
    const raw = await runOk(skopeo(), ['inspect', '--raw', '--tls-verify=false', '--no-creds', ref('team-a/tools')]);
    expect(raw).toContain(image.images[0]!.manifest.digest);
    const res = await run(skopeo(), ['inspect', '--raw', '--tls-verify=false', '--no-creds', ref('team-a/api')]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(REFUSED);
  });
});

describe('the pull a pod would make, with the Secret exactly as it landed', () => {
  let app: { file: string; username: string; password: string };
  beforeAll(async () => {
    app = await authFileOf((await getSecret('app', `${REGISTRY}-pull`))!);
  });

  test('skopeo with the auth file: pull works, push is refused, a repository that did not select the namespace is refused', async () => {
    const raw = await runOk(skopeo(), ['inspect', '--raw', '--tls-verify=false', '--authfile', app.file, ref('team-a/api')]);
    expect(raw).toContain(image.images[0]!.manifest.digest);
    const push = await run(skopeo(), ['copy', '--all', '--dest-tls-verify=false', '--dest-authfile', app.file, image.reference, ref('team-a/api', 'v2')]);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(REFUSED);
    const other = await run(skopeo(), ['inspect', '--raw', '--tls-verify=false', '--authfile', app.file, ref('team-a/internal')]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(REFUSED);
  });

  describe('podman', () => {
    let podman: PrivatePodman;
    beforeAll(async () => {
      podman = await createPrivatePodman();
    });
    afterAll(async () => {
      await podman?.cleanup();
    });
    test('pull with the auth file works; the same credential cannot push', async () => {
      const remote = `${env.host}/team-a/api:v1`;
      const id = (await podman.podman(['pull', '--quiet', '--tls-verify=false', '--arch', 'amd64', '--authfile', app.file, remote])).trim();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      await expect(podman.podman(['push', '--tls-verify=false', '--authfile', app.file, id, `${env.host}/team-a/api:podman`])).rejects.toThrow(REFUSED);
      await expect(podman.podman(['pull', '--quiet', '--tls-verify=false', '--authfile', app.file, `${env.host}/team-a/internal:v1`])).rejects.toThrow(REFUSED);
    });
  });

  describe('containerd ctr', () => {
    let containerd: ContainerdProcess;
    beforeAll(async () => {
      containerd = await startContainerd();
    });
    afterAll(async () => {
      await containerd?.stop();
    });
    test('pull with --user from the Secret works; without it, and for a repository not selected, it is refused', async () => {
      const target = `${env.host}/team-a/api:v1`;
      await expect(containerd.ctr(['images', 'pull', '--plain-http', '--platform', 'linux/amd64', target])).rejects.toThrow(REFUSED);
      await containerd.ctr(['images', 'pull', '--plain-http', '--platform', 'linux/amd64', '--user', `${app.username}:${app.password}`, target]);
      expect(await containerd.ctr(['images', 'ls', `name==${target}`])).toContain(image.index.digest);
      const other = `${env.host}/team-a/internal:v1`;
      await expect(containerd.ctr(['images', 'pull', '--plain-http', '--platform', 'linux/amd64', '--user', `${app.username}:${app.password}`, other])).rejects.toThrow(REFUSED);
    });
  });
});

describe('rotation and deselection', () => {
  test('after a rotation the new Secret works at once, the old credential until the overlap ends, then never', async () => {
    const before = await authFileOf((await getSecret('app', `${REGISTRY}-pull`))!);
    const asked = Date.now();
    await kubectl(['annotate', '--overwrite', 'repository', 'api', '-n', 'team-a', 'berth.dev/rotate=first']);
    const after = await waitFor('a rewritten pull Secret', async () => {
      const now = await authFileOf((await getSecret('app', `${REGISTRY}-pull`))!);
      return now.password !== before.password ? now : undefined;
    }, 20_000);
    await runOk(skopeo(), ['inspect', '--raw', '--tls-verify=false', '--authfile', after.file, ref('team-a/api')]);
    expect(await logsIn(before.username, before.password)).toBe(true);
    const api = await synced('team-a', 'api');
    expect(Date.parse(api.status.lastRotationTime)).toBeGreaterThanOrEqual(Math.floor(asked / 1000) * 1000);
    const events = await env.cluster.getJson(['events', '-n', 'team-a', '--field-selector', 'involvedObject.name=api,reason=CredentialsRotated']);
    expect(events.items[0]?.message).toMatch(/rotated pull credentials of 2 namespaces \(app, team-a\) and the push credentials as requested/);
    await waitFor('the old credential to stop working', async () => !(await logsIn(before.username, before.password)), (OVERLAP_S + 15) * 1000, 500);
    // It worked for the whole overlap, which started when the operator acted on the annotation.
    expect(Date.now() - asked).toBeGreaterThanOrEqual(OVERLAP_S * 1000);
    expect(await logsIn(after.username, after.password)).toBe(true);
    await runOk(skopeo(), ['inspect', '--raw', '--tls-verify=false', '--authfile', after.file, ref('team-a/api')]);
  });

  test('a namespace no longer selected loses its Secret, and its credential is refused', async () => {
    const app = await authFileOf((await getSecret('app', `${REGISTRY}-pull`))!);
    await kubectl(['label', 'namespace', 'app', 'pulls/team-a-']);
    await waitFor('the pull Secret to go', async () => (await getSecret('app', `${REGISTRY}-pull`)) === undefined, 10_000);
    // The policy without the robot was written before the Secret was deleted; the registry applies it within 2 s.
    await waitFor('the credential to be refused', async () => !(await logsIn(app.username, app.password)), 2_000, 50);
    const res = await run(skopeo(), ['inspect', '--raw', '--tls-verify=false', '--authfile', app.file, ref('team-a/api')]);
    expect(res.code).not.toBe(0);
    expect((await synced('team-a', 'api')).status.syncedNamespaces).toBe(1);
  });
});

describe('propagation', () => {
  test('the registry applies a change of its policy Secret within 2 s (a watch, not a volume refresh); the operator undoes a hand edit', async () => {
    const reloads = (): number => berth.logs.filter((l) => l.message === 'access policy reloaded').length;
    const policy = await env.cluster.getJson(['secret', `${REGISTRY}-policy`, '-n', REGISTRY_NS]);
    const original = secretText(policy, 'policy.yaml');
    await env.operator.stop(); // so the hand edit stays long enough to be seen
    const before = reloads();
    const start = Date.now();
    const editedText = original.replace(/^catalog: \[\]$/m, 'catalog: [authenticated]');
    expect(editedText).not.toBe(original);
    const edited = Buffer.from(editedText).toString('base64');
    await kubectl(['patch', 'secret', `${REGISTRY}-policy`, '-n', REGISTRY_NS, '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': edited } })]);
    await waitFor('the registry to reload', async () => reloads() > before, 2_000, 20);
    expect(Date.now() - start).toBeLessThan(2_000);
    await env.restartOperator(['--resync-period', '10m']);
    await waitFor('the operator to restore the policy', async () => {
      const now = await env.cluster.getJson(['secret', `${REGISTRY}-policy`, '-n', REGISTRY_NS]);
      return secretText(now, 'policy.yaml') === original;
    }, 10_000);
    await waitFor('the registry to load the restored policy', async () => reloads() > before + 1, 2_000, 20);
  });

  test("the registry's ServiceAccount may read its policy Secret and nothing else", async () => {
    const { kubeconfig } = { kubeconfig: join(env.dir, `${REGISTRY_NS}-${REGISTRY}-registry.kubeconfig`) };
    const can = (args: string[]) => env.cluster.kubectl(['auth', 'can-i', '--quiet', ...args, '-n', REGISTRY_NS], { kubeconfig }).then(() => true, () => false);
    expect(await can(['get', `secret/${REGISTRY}-policy`])).toBe(true);
    expect(await can(['watch', `secret/${REGISTRY}-policy`])).toBe(true);
    expect(await can(['get', `secret/${REGISTRY}-signing-key`])).toBe(false);
    expect(await can(['get', `secret/${REGISTRY}-credentials`])).toBe(false);
    expect(await can(['list', 'secrets'])).toBe(false);
    expect(await can(['update', `secret/${REGISTRY}-policy`])).toBe(false);
  });
});
