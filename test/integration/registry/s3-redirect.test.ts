/**
 * Blob GET redirects on S3 (`storage.s3.redirect: true`): a 307 to a presigned URL of the object, which skopeo,
 * crane and containerd's ctr follow; HEAD is still answered by the registry, and a Range goes to the presigned URL
 * with the client. (The same clients with redirects off, the default, are clients.test.ts in the "s3 storage"
 * jest project.)
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { startContainerd } from '../../helpers/containerd.js';
import { chainId, createTestImage } from '../../helpers/oci-layout.js';
import { Client, type ImageRef } from '../../helpers/registry-app.js';
import { s3KeysEnv, s3TestConfig, type S3TestServer } from '../../helpers/s3-env.js';
import { runOk, tool } from '../../helpers/tools.js';
import { startVersitygw } from '../../helpers/versitygw.js';

let server: S3TestServer;
let dir: string;
let berth: BerthProcess;
let image: ImageRef;

beforeAll(async () => {
  server = await startVersitygw();
  dir = await mkdtemp(join(tmpdir(), 'berth-s3-redirect-'));
  const { bucket, region, endpoint, forcePathStyle, prefix } = s3TestConfig(server);
  const config = join(dir, 'config.yaml');
  await writeFile(config, stringify({ storage: { driver: 's3', s3: { bucket, region, endpoint, forcePathStyle, prefix, redirect: true } } }));
  berth = await startBerth({ config, env: s3KeysEnv(server) });
  image = await new Client(berth.url).pushImage('redirect/app', 'v1', 'a layer that is fetched from the bucket');
}, 60_000);

afterAll(async () => {
  await berth?.stop();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('GET answers 307 to a presigned URL of the bucket; following it gives the bytes, and a Range too', async () => {
  const c = new Client(berth.url);
  const r = await c.req('GET', `/v2/redirect/app/blobs/${image.layerDigest}`);
  expect(r.status).toBe(307);
  const location = r.headers.location as string;
  expect(location.startsWith(`${server.endpoint}/${server.bucket}/`)).toBe(true);
  expect(location).toContain('X-Amz-Signature=');
  const whole = await fetch(location);
  expect(whole.status).toBe(200);
  expect(await whole.text()).toBe('a layer that is fetched from the bucket');
  const part = await fetch(location, { headers: { Range: 'bytes=2-6' } });
  expect(part.status).toBe(206);
  expect(await part.text()).toBe('layer');
});

test('HEAD is answered here; an unknown blob or repository is still 404, never a redirect', async () => {
  const c = new Client(berth.url);
  const head = await c.req('HEAD', `/v2/redirect/app/blobs/${image.layerDigest}`);
  expect(head.status).toBe(200);
  expect(head.headers['content-length']).toBe(String('a layer that is fetched from the bucket'.length));
  expect((await c.req('GET', `/v2/other/app/blobs/${image.layerDigest}`)).status).toBe(404);
  expect((await c.req('GET', `/v2/redirect/app/blobs/sha256:${'0'.repeat(64)}`)).status).toBe(404);
});

test('skopeo and crane follow the redirect', async () => {
  const out = join(dir, 'skopeo');
  await runOk(tool('skopeo'), ['copy', '--src-tls-verify=false', `docker://${berth.host}/redirect/app:v1`, `dir:${out}`]);
  const hex = image.layerDigest.slice('sha256:'.length);
  expect((await readFile(join(out, hex), 'utf8'))).toBe('a layer that is fetched from the bucket');
  await runOk(tool('crane'), ['pull', '--insecure', '--format', 'oci', `${berth.host}/redirect/app:v1`, join(dir, 'crane')]);
  expect((await readdir(join(dir, 'crane', 'blobs', 'sha256'))).sort()).toContain(hex);
});

test('containerd (ctr) follows the redirect: it pulls, verifies and unpacks an image whose layers come from the bucket', async () => {
  const image = await createTestImage({ tag: 'v1', seed: 'ctr-redirect', platforms: [{ os: 'linux', architecture: 'amd64' }] });
  const containerd = await startContainerd();
  try {
    const ref = `${berth.host}/redirect/ctr:v1`;
    await runOk(tool('skopeo'), ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', image.reference, `docker://${ref}`]);
    const amd64 = image.images[0]!;
    const c = new Client(berth.url);
    expect((await c.req('GET', `/v2/redirect/ctr/blobs/${amd64.layers[0]!.descriptor.digest}`)).status).toBe(307);
    await containerd.ctr(['images', 'pull', '--plain-http', '--platform', 'linux/amd64', ref]);
    // containerd checks every blob against its digest before it keeps it
    const content = await containerd.ctr(['content', 'ls', '--quiet']);
    for (const d of [amd64.manifest, amd64.config, ...amd64.layers.map((l) => l.descriptor)]) expect(content).toContain(d.digest);
    expect(await containerd.ctr(['snapshots', 'ls'])).toContain(chainId(amd64.layers.map((l) => l.diffId)));
  } finally {
    await containerd.stop();
    await rm(image.dir, { recursive: true, force: true });
  }
});
