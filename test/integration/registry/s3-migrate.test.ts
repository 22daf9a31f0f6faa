/**
 * `berth storage migrate` from a filesystem store to an S3 bucket (versitygw), with real processes: images pushed
 * by crane (and a referrer over the HTTP API) into `berth serve` on a folder, migrated while it serves, then pulled
 * by crane from `berth serve` on the bucket and compared by digest and bytes. A migration killed (-9) in the middle
 * is finished by running it again, with what was already copied skipped and nothing left behind.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FsDriver } from '../../../src/registry/storage/drivers/filesystem.js';
import { S3Driver } from '../../../src/registry/storage/drivers/s3.js';
import { listBlobs } from '../../../src/registry/storage/migrate/walk.js';
import { CLI, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { expectImageInRegistry, expectLayoutHoldsImage } from '../../helpers/image-checks.js';
import { createTestImage, type TestImage } from '../../helpers/oci-layout.js';
import { Client, driverFiles, sha256 } from '../../helpers/registry-app.js';
import { s3KeysEnv, s3TestConfig, type S3TestServer } from '../../helpers/s3-env.js';
import { runOk, tool } from '../../helpers/tools.js';
import { startVersitygw } from '../../helpers/versitygw.js';

let server: S3TestServer;
let dir: string;
const procs: BerthProcess[] = [];
const drivers: S3Driver[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  server = await startVersitygw();
  dir = await mkdtemp(join(tmpdir(), 'berth-migrate-'));
  await writeFile(join(dir, 'id'), server.accessKeyId);
  await writeFile(join(dir, 'secret'), server.secretAccessKey);
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  for (const d of drivers) d.destroy();
  await server?.stop();
  await Promise.all([dir, ...scratch].map((d) => rm(d, { recursive: true, force: true })));
});

/** A config file for `berth serve` on the bucket under `prefix` (keys from the environment), and the test's own view. */
async function bucketStore(prefix: string): Promise<{ config: string; bucket: S3Driver }> {
  const s3 = s3TestConfig(server, prefix);
  const { bucket: b, region, endpoint, forcePathStyle, partSize } = s3;
  const config = join(dir, `${prefix}.yaml`);
  await writeFile(config, stringify({ storage: { driver: 's3', s3: { bucket: b, region, endpoint, forcePathStyle, prefix, partSize } } }));
  const bucket = await S3Driver.open({ ...s3, accessKeyIdFile: join(dir, 'id'), secretAccessKeyFile: join(dir, 'secret') });
  drivers.push(bucket);
  return { config, bucket };
}

async function serve(opts: { storage?: string; config?: string }): Promise<BerthProcess> {
  const p = await startBerth({ ...opts, env: s3KeysEnv(server) });
  procs.push(p);
  return p;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `berth storage migrate`; `killWhen` is polled while it runs and kills it (-9) once it answers true. */
function migrate(from: string, to: string, killWhen?: () => Promise<boolean>): Promise<Run & { killed: boolean }> {
  const child = spawn(process.execPath, [CLI, 'storage', 'migrate', '--from', from, '--to', to, '--concurrency', '1'], {
    env: { ...process.env, ...s3KeysEnv(server) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const poll = async () => {
    while (killWhen && child.exitCode === null && !killed) {
      if (await killWhen()) {
        killed = child.kill('SIGKILL');
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  void poll();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, killed })));
}

async function testImage(seed: string, layerSize: number): Promise<TestImage> {
  const image = await createTestImage({ tag: 'v1', seed, layerSize });
  scratch.push(image.dir);
  return image;
}

describe('a filesystem store with several images, migrated to S3 while it serves', () => {
  const repos = ['app', 'team/api', 'team/web'] as const;
  const images = new Map<string, TestImage>();
  let source: BerthProcess;
  let target: BerthProcess;
  let signature: string;
  let run: Run;

  beforeAll(async () => {
    source = await serve({});
    const crane = (args: string[]) => runOk(tool('crane'), [...args, '--insecure']);
    for (const [i, repo] of repos.entries()) {
      const image = await testImage(`migrate-${repo}`, (i + 1) * 300 * 1024);
      await crane(['push', image.dir, `${source.host}/${repo}:v1`]);
      images.set(repo, image);
    }
    await crane(['tag', `${source.host}/app:v1`, 'latest']);
    // a referrer of app:v1's index, pushed over the API
    const subject = images.get('app')!.index;
    const client = new Client(source.url);
    signature = (await client.pushImage('app', 'sig', 'a signature', { subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } })).digest;
    const { config } = await bucketStore('migrated');
    run = await migrate(source.storage, config);
    target = await serve({ config });
  }, 180_000);

  test('the migration reports what it copied, with a progress line on stderr', () => {
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^migrate: (blobs|links|tags|done): blobs \d+\/\d+/m);
    expect(run.stdout).toMatch(/^3 repositories; blobs: \d+ copied \(\d+ bytes, [\d.]+ MiB\), 0 already there .*; 0 errors; in /m);
  });

  test.each(repos)('crane pulls %s:v1 from the bucket with every digest and byte the same', async (repo) => {
    const image = images.get(repo)!;
    expect((await runOk(tool('crane'), ['digest', `${target.host}/${repo}:v1`, '--insecure'])).trim()).toBe(image.index.digest);
    const pulled = await mkdtemp(join(tmpdir(), 'berth-migrate-pull-'));
    scratch.push(pulled);
    const out = join(pulled, 'layout');
    await runOk(tool('crane'), ['pull', '--format', 'oci', `${target.host}/${repo}:v1`, out, '--insecure']);
    await expectLayoutHoldsImage(out, image);
    await expectImageInRegistry(target.url, repo, 'v1', image);
  });

  test('tags, the catalog and the referrers came along', async () => {
    const target$ = new Client(target.url);
    expect(JSON.parse((await target$.req('GET', '/v2/app/tags/list')).text).tags).toEqual(['latest', 'sig', 'v1']);
    expect(JSON.parse((await target$.req('GET', '/v2/_catalog')).text).repositories).toEqual(['app', 'team/api', 'team/web']);
    const referrers = JSON.parse((await target$.req('GET', `/v2/app/referrers/${images.get('app')!.index.digest}`)).text);
    expect(referrers.manifests.map((m: { digest: string }) => m.digest)).toEqual([signature]);
  });

  test('a second run copies nothing', async () => {
    const { config } = await bucketStore('migrated');
    const again = await migrate(source.storage, config);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/blobs: 0 copied \(0 bytes, 0\.0 MiB\), \d+ already there.*links: 0 copied, \d+ already there; tags: 0 copied, 5 already there/);
  });
});

describe('an interrupted migration', () => {
  test('killed -9 after some blobs, it is finished by running it again; nothing is left in uploads/', async () => {
    const source = await serve({});
    const client = new Client(source.url);
    const layers: string[] = [];
    for (let i = 0; i < 10; i++) {
      const data = Buffer.alloc(6 * 1024 * 1024 + i, i + 1);
      layers.push(await client.pushBlob('big', data));
    }
    const image = await client.pushImage('big', 'v1', 'small layer', {});
    const { config, bucket } = await bucketStore('interrupted');
    const total = (await listBlobs(await FsDriver.open(source.storage))).length;

    const first = await migrate(source.storage, config, async () => (await listBlobs(bucket)).length >= 3);
    expect(first.killed).toBe(true);
    const copiedBefore = (await listBlobs(bucket)).length;
    expect(copiedBefore).toBeGreaterThanOrEqual(3);
    expect(copiedBefore).toBeLessThan(total);

    const second = await migrate(source.storage, config);
    expect(second.code).toBe(0);
    const resumed = /blobs: (\d+) copied .*?, (\d+) already there/.exec(second.stdout)!;
    expect(Number(resumed[2])).toBe(copiedBefore);
    expect(Number(resumed[1]) + Number(resumed[2])).toBe(total);
    expect(await driverFiles(bucket, 'uploads')).toEqual([]);

    const target = await serve({ config });
    const pulled = new Client(target.url);
    expect((await pulled.req('GET', '/v2/big/manifests/v1')).headers['docker-content-digest']).toBe(image.digest);
    for (const digest of layers) {
      const got = await pulled.req('GET', `/v2/big/blobs/${digest}`);
      expect(got.status).toBe(200);
      expect(sha256(got.body)).toBe(digest);
    }
  }, 180_000);
});
