/**
 * Scrub and the storage check on the S3 driver, against a real S3 server (versitygw) and a real `berth serve`: an
 * object whose bytes changed in the bucket is found by `berth scrub --config` (exit 1), named with its repository,
 * moved under `quarantine/` and no longer served; `/readyz` answers 503 while the S3 server is down, and 200 once it
 * is back on the same address.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Driver } from '../../../src/registry/storage/drivers/s3.js';
import { requireDigest } from '../../../src/registry/oci/digest.js';
import { blobPath, quarantinePath } from '../../../src/registry/storage/paths.js';
import { CLI, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { pushImage, sha } from '../../helpers/gc-client.js';
import { DEFAULT_S3_TEST_REGION, s3TestConfig } from '../../helpers/s3-env.js';
import { stopChild, tool } from '../../helpers/tools.js';

const run = promisify(execFile);
const keys = { accessKeyId: `test${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(20).toString('hex') };
const env = { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey };
let dir: string;
let port: number;
let gateway: ChildProcess | undefined;
let configFile: string;
let bucket: S3Driver;
let server: BerthProcess;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

const accepts = (p: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(p, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Starts versitygw over `dir/objects` on `port` (the same each time, so a restart is the same server). */
async function startGateway(): Promise<void> {
  gateway = spawn(tool('versitygw'), ['--access', keys.accessKeyId, '--secret', keys.secretAccessKey, '--port', `127.0.0.1:${port}`, 'posix', join(dir, 'objects')], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (gateway.exitCode !== null || Date.now() > deadline) throw new Error('versitygw did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForReadyz(code: number): Promise<{ status: string; storage?: { status: string; reason?: string } }> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const res = await fetch(`${server.url}/readyz`);
    const body = (await res.json()) as { status: string; storage?: { status: string; reason?: string } };
    if (res.status === code || Date.now() > deadline) {
      expect(res.status).toBe(code);
      return body;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-s3-scrub-'));
  await mkdir(join(dir, 'objects'));
  port = await freePort();
  await startGateway();
  const endpoint = `http://127.0.0.1:${port}`;
  const s3 = new S3Client({ endpoint, region: DEFAULT_S3_TEST_REGION, forcePathStyle: true, credentials: keys });
  await s3.send(new CreateBucketCommand({ Bucket: 'berth' }));
  s3.destroy();
  const config = s3TestConfig({ endpoint, bucket: 'berth', ...keys, dir }, 'scrub');
  configFile = join(dir, 'config.yaml');
  const { bucket: b, region, prefix } = config;
  await writeFile(configFile, stringify({ storage: { driver: 's3', s3: { bucket: b, region, endpoint, forcePathStyle: true, prefix } } }));
  await writeFile(join(dir, 'id'), keys.accessKeyId);
  await writeFile(join(dir, 'secret'), keys.secretAccessKey);
  bucket = await S3Driver.open({ ...config, accessKeyIdFile: join(dir, 'id'), secretAccessKeyFile: join(dir, 'secret') });
  server = await startBerth({ config: configFile, env });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  bucket?.destroy();
  if (gateway) await stopChild(gateway);
  await rm(dir, { recursive: true, force: true });
});

test('berth scrub on S3 finds a changed object, names its repository, quarantines it; the blob is no longer served', async () => {
  const image = await pushImage(server.url, 's3/app', 'v1', []);
  const clean = await run(process.execPath, [CLI, 'scrub', '--config', configFile], { env: { ...process.env, ...env } });
  expect(clean.stdout).toMatch(/: no corrupt blob\n$/);

  const layer = image.blobs[1]!;
  const path = blobPath(requireDigest(layer));
  await bucket.put(path, 'bit rot in the bucket');
  const found = await run(process.execPath, [CLI, 'scrub', '--config', configFile], { env: { ...process.env, ...env } }).then(
    () => ({ code: 0, stdout: '' }),
    (err: { code: number; stdout: string }) => err,
  );
  expect(found.code).toBe(1);
  expect(found.stdout).toContain(`corrupt blob ${layer} (21 bytes hash to ${sha(Buffer.from('bit rot in the bucket'))}), linked by s3/app: quarantined`);
  expect(await bucket.stat(path)).toBeUndefined();
  expect((await bucket.get(quarantinePath(path)))?.toString()).toBe('bit rot in the bucket');
  expect((await fetch(`${server.url}/v2/s3/app/blobs/${layer}`, { method: 'HEAD' })).status).toBe(404);
});

test('/readyz answers 503 while the S3 server is down, and 200 once it is back', async () => {
  expect(await waitForReadyz(200)).toMatchObject({ status: 'ready', storage: { status: 'ok' } });
  await stopChild(gateway!, 'SIGKILL');
  expect(await waitForReadyz(503)).toMatchObject({ status: 'not ready', storage: { status: 'unavailable', reason: expect.any(String) } });
  await startGateway();
  expect(await waitForReadyz(200)).toMatchObject({ status: 'ready', storage: { status: 'ok' } });
}, 120_000);
