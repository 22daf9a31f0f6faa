/**
 * Real `berth serve` processes on one S3 bucket (versitygw), sharing nothing else: how replicas on any node work.
 * An upload begun on one is finished on the other (its digest checked from the hash state saved in the bucket),
 * pushes through one pull through the other, and a kill -9 in the middle of a push loses no acknowledged chunk
 * and exposes nothing partial.
 */
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { S3Driver } from '../../../src/registry/storage/drivers/s3.js';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { driverFiles, Client, sha256 } from '../../helpers/registry-app.js';
import { s3KeysEnv, s3TestConfig, type S3TestServer } from '../../helpers/s3-env.js';
import { startVersitygw } from '../../helpers/versitygw.js';

let server: S3TestServer;
let dir: string;
let configFile: string;
let bucket: S3Driver;
const procs: BerthProcess[] = [];

beforeAll(async () => {
  server = await startVersitygw();
  dir = await mkdtemp(join(tmpdir(), 'berth-s3-shared-'));
  const s3 = s3TestConfig(server, 'shared');
  configFile = join(dir, 'config.yaml');
  const { bucket: b, region, endpoint, forcePathStyle, prefix, partSize } = s3;
  await writeFile(configFile, stringify({ storage: { driver: 's3', s3: { bucket: b, region, endpoint, forcePathStyle, prefix, partSize } } }));
  // the test's own view of the bucket, with static keys from files (the processes use the environment)
  await writeFile(join(dir, 'id'), server.accessKeyId);
  await writeFile(join(dir, 'secret'), server.secretAccessKey);
  bucket = await S3Driver.open({ ...s3, accessKeyIdFile: join(dir, 'id'), secretAccessKeyFile: join(dir, 'secret') });
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  bucket?.destroy();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<BerthProcess> {
  const p = await startBerth({ config: configFile, env: s3KeysEnv(server) });
  procs.push(p);
  return p;
}

function pattern(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 13 + (i >> 12)) % 251;
  return b;
}

test('push through one process, pull through the other', async () => {
  const [a, b] = await Promise.all([start(), start()]);
  const img = await new Client(a.url).pushImage('shared/app', 'v1');
  const got = await new Client(b.url).req('GET', '/v2/shared/app/manifests/v1');
  expect(got.status).toBe(200);
  expect(got.headers['docker-content-digest']).toBe(img.digest);
  expect((await new Client(b.url).req('GET', `/v2/shared/app/blobs/${img.layerDigest}`)).status).toBe(200);
});

test('an upload of several parts begun on one process is finished on the other', async () => {
  const [a, b] = [procs[0]!, procs[1]!];
  const data = pattern(13 * 1024 * 1024 + 17);
  const [cut1, cut2] = [6 * 1024 * 1024 + 1, 11 * 1024 * 1024 + 3];
  const ca = new Client(a.url);
  const cb = new Client(b.url);
  const loc = await ca.openUpload('shared/app');
  expect((await ca.req('PATCH', loc, { body: data.subarray(0, cut1), headers: { 'Content-Range': `0-${cut1 - 1}` } })).status).toBe(202);
  expect((await cb.req('GET', loc)).headers.range).toBe(`0-${cut1 - 1}`);
  const range2 = { 'Content-Range': `${cut1}-${cut2 - 1}` };
  expect((await cb.req('PATCH', loc, { body: data.subarray(cut1, cut2), headers: range2 })).status).toBe(202);
  const last = { 'Content-Range': `${cut2}-${data.length - 1}` };
  expect((await ca.req('PUT', `${loc}?digest=${sha256(data)}`, { body: data.subarray(cut2), headers: last })).status).toBe(201);
  const pulled = await cb.req('GET', `/v2/shared/app/blobs/${sha256(data)}`);
  expect(pulled.body.equals(data)).toBe(true);
  const ranged = await ca.req('GET', `/v2/shared/app/blobs/${sha256(data)}`, { headers: { Range: 'bytes=5242870-5242889' } });
  expect(ranged.status).toBe(206);
  expect(ranged.body.equals(data.subarray(5242870, 5242890))).toBe(true);
});

test('a wrong digest at the end of a cross-process upload is refused, and nothing of it stays', async () => {
  const [a, b] = [procs[0]!, procs[1]!];
  const loc = await new Client(a.url).openUpload('shared/app');
  await new Client(b.url).req('PATCH', loc, { body: 'some bytes' });
  const r = await new Client(a.url).req('PUT', `${loc}?digest=${sha256('other bytes')}`);
  expect(r.status).toBe(400);
  expect(r.json().errors[0].code).toBe('DIGEST_INVALID');
  expect((await new Client(b.url).req('GET', loc)).status).toBe(404);
});

test('kill -9 in the middle of a push: acknowledged chunks survive, nothing partial is readable', async () => {
  const p = await start();
  const c = new Client(p.url);
  const loc = await c.openUpload('crash/app');
  const first = pattern(1 << 20);
  expect((await c.req('PATCH', loc, { body: first, headers: { 'Content-Range': `0-${first.length - 1}` } })).status).toBe(202);
  const second = Buffer.alloc(12 << 20, 2);
  const whole = Buffer.concat([first, second]);
  const u = new URL(p.url);
  const inflight = new Promise<void>((resolve) => {
    const req = request({
      host: u.hostname,
      port: u.port,
      method: 'PUT',
      path: `${loc}?digest=${sha256(whole)}`,
      headers: { 'Content-Length': String(second.length), 'Content-Range': `${first.length}-${whole.length - 1}` },
    });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(second.subarray(0, 8 << 20));
  });
  await new Promise((r) => setTimeout(r, 500));
  await p.stop('SIGKILL');
  await inflight;
  const other = new Client(procs[0]!.url);
  expect((await other.req('GET', `/v2/crash/app/blobs/${sha256(whole)}`)).status).toBe(404);
  const hex = sha256(whole).slice('sha256:'.length);
  expect((await driverFiles(bucket, 'blobs')).some((f) => f.includes(hex))).toBe(false);
  const status = await other.req('GET', loc);
  expect(status.status).toBe(204);
  expect(status.headers.range).toBe(`0-${first.length - 1}`);
  const rest = { 'Content-Range': `${first.length}-${whole.length - 1}` };
  expect((await other.req('PUT', `${loc}?digest=${sha256(whole)}`, { body: second, headers: rest })).status).toBe(201);
  expect((await other.req('GET', `/v2/crash/app/blobs/${sha256(whole)}`)).body.equals(whole)).toBe(true);
});
