/**
 * Issue 12 on the real control plane: a Repository's spec.immutableTags, spec.quota and spec.retention reach the
 * registry (the operator renders them into the access policy's lifecycle section; a real `berth serve`, started
 * from what the operator rendered, enforces them), and the usage the registry publishes in its report ConfigMap
 * comes back as Repository status and `kubectl get repositories` columns. The CRD refuses bad patterns and sizes.
 */
import { jest } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import type { BerthProcess } from '../../helpers/berth-process.js';
import { call, pushBlob } from '../registry/auth-fixture.js';
import { applyObject, REGISTRY, REGISTRY_NS, repositoryManifest, secretText, startAccessEnv, startRenderedRegistry, type AccessEnv } from './helpers/access-env.js';
import { waitFor } from './helpers/wait.js';

jest.setTimeout(300_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let env: AccessEnv;
let berth: BerthProcess;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The README's example (Storage lifecycle), as applied here. */
const LIFECYCLE_SPEC = {
  path: 'team-a/api',
  pushCredentials: { enabled: true },
  immutableTags: ['v*'],
  quota: { size: '64Ki' },
  retention: { keepLast: 1, keepTags: ['stable'], dryRun: true },
};

beforeAll(async () => {
  env = await startAccessEnv(['--resync-period', '10m']);
  ({ berth } = await startRenderedRegistry(env, {
    edit: (c) => ({
      ...c,
      report: { ...c.report, minInterval: '1s' },
      storage: { ...c.storage, lifecycle: { retentionInterval: '2s' } },
    }),
  }));
  await env.cluster.kubectl(['create', 'namespace', 'team-a']);
}, 15 * 60_000);

afterAll(async () => {
  await berth?.stop();
  await env?.stop();
});

const getJson = (args: string[]): Promise<Obj> => env.cluster.getJson(args);

async function pushToken(): Promise<string> {
  const secret = await waitFor('the push Secret', () => getJson(['secret', 'api-push', '-n', 'team-a']).catch(() => undefined), 60_000);
  const { username, password } = JSON.parse(secretText(secret, '.dockerconfigjson')).auths[env.host];
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  return waitFor('a push token', async () => {
    const res = await fetch(`${berth.url}/token?service=${encodeURIComponent(env.host)}&scope=repository:team-a/api:pull,push`, { headers: { Authorization: `Basic ${auth}` } });
    const body = (await res.json()) as { token?: string; access?: unknown };
    return res.status === 200 && body.token ? body.token : undefined;
  }, 30_000);
}

async function manifestOf(token: string, layer: Buffer): Promise<Buffer> {
  const layerDigest = await pushBlob(berth.url, 'team-a/api', layer, token);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] } }));
  const configDigest = await pushBlob(berth.url, 'team-a/api', config, token);
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
}

const put = (token: string, tag: string, body: Buffer) =>
  call(berth.url, 'PUT', `/v2/team-a/api/manifests/${tag}`, token, body, { 'Content-Type': OCI_MANIFEST });

it('the CRD refuses bad tag patterns, sizes and an empty retention rule', async () => {
  const bad: Array<[object, RegExp]> = [
    [{ immutableTags: ['v/1'] }, /immutableTags/],
    [{ retention: { keepLast: 1, keepTags: ['a b'] } }, /keepTags/],
    [{ quota: { size: '10 gigs' } }, /quota\.size/],
    [{ quota: { size: -1 } }, /quota\.size/],
    [{ retention: { dryRun: true } }, /retention needs keepLast, olderThan, or both/],
    [{ retention: { olderThan: '30 days' } }, /olderThan/],
  ];
  for (const [spec, message] of bad) {
    const err = await applyObject(env.cluster, repositoryManifest('team-a', 'bad', { path: 'team-a/bad', ...spec })).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).toMatch(message);
  }
});

it('spec.immutableTags, spec.quota and spec.retention reach the registry, which enforces them; status shows the usage', async () => {
  await applyObject(env.cluster, repositoryManifest('team-a', 'api', LIFECYCLE_SPEC));
  // the fields reach the policy the registry reads
  const lifecycle = await waitFor('the lifecycle section in the policy Secret', async () => {
    const policy = parseYaml(secretText(await getJson(['secret', `${REGISTRY}-policy`, '-n', REGISTRY_NS]), 'policy.yaml')) as Obj;
    return policy.lifecycle;
  }, 60_000);
  expect(lifecycle).toEqual([
    {
      repository: 'team-a/api',
      immutableTags: ['v*'],
      quotaBytes: 65536,
      retention: { keepLast: 1, keepTags: ['stable'], dryRun: true },
      description: 'Repository team-a/api',
    },
  ]);

  const token = await pushToken();
  const one = await manifestOf(token, Buffer.alloc(4096, 1));
  const two = await manifestOf(token, Buffer.alloc(4096, 2));
  // the registry may take a moment to load the new policy: wait until the immutable rule is in force
  expect((await put(token, 'v1', one)).status).toBe(201);
  await waitFor('immutable v* in force', async () => (await put(token, 'v1', two)).status === 409, 30_000);
  expect((await put(token, 'v1', one)).status).toBe(201);
  expect((await put(token, 'latest', two)).status).toBe(201);

  // quota: 64 KiB; a 100 KiB blob is refused, naming the quota
  const big = Buffer.alloc(100 * 1024, 3);
  const { createHash } = await import('node:crypto');
  const digest = `sha256:${createHash('sha256').update(big).digest('hex')}`;
  const refused = await call(berth.url, 'POST', `/v2/team-a/api/blobs/uploads/?digest=${digest}`, token, big, { 'Content-Type': 'application/octet-stream' });
  expect(refused.status).toBe(403);
  expect(JSON.parse(refused.text).errors[0]).toMatchObject({ code: 'DENIED', message: expect.stringMatching(/quota of 64\.0 KiB \(65536 bytes\)/) });

  // status: usage from the report ConfigMap, and the retention dry run (keepLast 1: v1 is immutable, so nothing goes)
  const status = await waitFor('status.usage with both tags', async () => {
    const repo = await getJson(['repository', 'api', '-n', 'team-a']);
    return repo.status?.usage?.tags === 2 && repo.status?.retention ? repo.status : undefined;
  }, 60_000);
  expect(status.usage).toMatchObject({ tags: 2, quotaBytes: 65536 });
  expect(status.usage.bytes).toBeGreaterThan(8192);
  expect(status.usage.size).toMatch(/KiB$/);
  expect(status.retention).toMatchObject({ dryRun: true, deletedTags: 0 });
  const table = await env.cluster.kubectl(['get', 'repositories', '-n', 'team-a']);
  expect(table.split('\n')[0]).toMatch(/SIZE\s+TAGS\s+QUOTA/);
  expect(table).toMatch(/api\s.*KiB\s+2\s+64Ki/);

  // a third tag: the dry run reports the oldest non-protected tag, and nothing is deleted
  const three = await manifestOf(token, Buffer.alloc(4096, 4));
  expect((await put(token, 'build-3', three)).status).toBe(201);
  const dry = await waitFor('the dry run in status', async () => {
    const repo = await getJson(['repository', 'api', '-n', 'team-a']);
    return repo.status?.retention?.deletedTags === 1 ? repo.status.retention : undefined;
  }, 60_000);
  expect(dry).toMatchObject({ dryRun: true, tags: ['latest'] });
  const tags = JSON.parse((await call(berth.url, 'GET', '/v2/team-a/api/tags/list', token)).text).tags;
  expect(tags.sort()).toEqual(['build-3', 'latest', 'v1']);
});
