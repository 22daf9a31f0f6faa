/**
 * The S3 phase's servers: one versitygw (the same S3 server the tests use, from the tool cache) on a free loopback
 * port over a folder of the run, and registries on its one bucket: `berth serve` with `storage.driver: s3` and
 * Distribution (Debian's `docker-registry`, whose build includes the `s3-aws` driver) with `storage.s3` at
 * `regionendpoint`, each with redirects to presigned URLs on or off.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { toolPath } from './run.js';
import { BERTH_CLI, distributionConfig, launchServer } from './servers.js';
import type { BenchServer } from './types.js';

const REGION = 'us-east-1';
const PART_BYTES = 10 * 1024 * 1024;

export interface BenchS3 {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The two key files Berth reads (`accessKeyIdFile`, `secretAccessKeyFile`). */
  keyFiles: { id: string; secret: string };
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(Boolean(socket.destroy())));
    socket.once('error', () => resolve(false));
  });

/** Starts versitygw over `dir` with a random key pair and one bucket. */
export async function startVersitygwServer(dir: string): Promise<BenchS3> {
  const data = join(dir, 'versitygw');
  await mkdir(data, { recursive: true });
  const accessKeyId = `bench${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const keyFiles = { id: join(dir, 's3-id'), secret: join(dir, 's3-secret') };
  await writeFile(keyFiles.id, accessKeyId, { mode: 0o600 });
  await writeFile(keyFiles.secret, secretAccessKey, { mode: 0o600 });
  const port = await freePort();
  const args = ['--access', accessKeyId, '--secret', secretAccessKey, '--port', `127.0.0.1:${port}`, 'posix', data];
  const child = spawn(toolPath('versitygw'), args, { stdio: ['ignore', 'ignore', 'ignore'] });
  let spawnError: Error | undefined; // e.g. ENOENT: a missing tool is this measurement's failure, not a crash
  child.once('error', (err) => (spawnError = err));
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      if (!spawnError) await stop();
      const why = spawnError ? `: ${spawnError.message}` : '';
      throw new Error(`versitygw did not start (${toolPath('versitygw')}${why}; install it with npm run setup:tools)`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = 'bench';
  const s3 = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).finally(() => s3.destroy());
  return { endpoint, bucket, accessKeyId, secretAccessKey, keyFiles, pid: child.pid!, stop };
}

/** `berth serve` on the bucket under `prefix`, redirecting blob GETs or not. */
export async function startBerthOnS3(dir: string, s3: BenchS3, prefix: string, redirect: boolean): Promise<BenchServer> {
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'berth.yaml');
  const section = {
    bucket: s3.bucket,
    region: REGION,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    prefix,
    accessKeyIdFile: s3.keyFiles.id,
    secretAccessKeyFile: s3.keyFiles.secret,
    partSize: PART_BYTES,
    redirect,
  };
  await writeFile(config, stringify({ storage: { driver: 's3', s3: section } }));
  const storage = join(dir, 'unused-storage');
  const args = [BERTH_CLI, 'serve', '--addr', '127.0.0.1:0', '--storage', storage, '--config', config, '--workers', '1'];
  return launchServer('berth', process.execPath, args, dir, storage);
}

/** Distribution on the bucket under `root` (same part size as Berth), redirecting blob GETs or not. */
export async function startDistributionOnS3(dir: string, s3: BenchS3, root: string, redirect: boolean): Promise<BenchServer> {
  await mkdir(dir, { recursive: true });
  const storage = join(dir, 'unused-storage');
  const base = distributionConfig(storage);
  const { filesystem: _filesystem, ...rest } = base.storage as Record<string, unknown>;
  const config = {
    ...base,
    storage: {
      ...rest,
      s3: {
        accesskey: s3.accessKeyId,
        secretkey: s3.secretAccessKey,
        region: REGION,
        regionendpoint: s3.endpoint,
        bucket: s3.bucket,
        secure: false,
        rootdirectory: `/${root}`,
        chunksize: PART_BYTES,
      },
      redirect: { disable: !redirect },
    },
  };
  const file = join(dir, 'distribution.yml');
  await writeFile(file, stringify(config), { mode: 0o600 });
  // AWS_CA_BUNDLE (set on some machines) makes Distribution 2.8's S3 driver panic at startup ("unable to load
  // custom CA bundle, HTTPClient's transport unsupported type"); the endpoint here is plain HTTP on loopback
  const { AWS_CA_BUNDLE: _bundle, ...env } = process.env;
  return launchServer('distribution', 'docker-registry', ['serve', file], dir, storage, { env });
}
