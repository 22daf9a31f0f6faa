/**
 * A real S3 server for the tests: versitygw (built into the tool cache by `scripts/install-tools.sh`) on a free
 * loopback port over a temporary posix folder, with one bucket created. `stop()` ends it and removes the folder.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_S3_TEST_REGION, type S3TestServer } from './s3-env.js';
import { stopChild, tool } from './tools.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts versitygw with a random access key pair and creates `bucket` (default `berth`). */
export async function startVersitygw(bucket = 'berth'): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-versitygw-'));
  const accessKeyId = `test${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const port = await freePort();
  const child = spawn(tool('versitygw'), ['--access', accessKeyId, '--secret', secretAccessKey, '--port', `127.0.0.1:${port}`, 'posix', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 20_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`versitygw did not start\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const endpoint = `http://127.0.0.1:${port}`;
    const s3 = new S3Client({ endpoint, region: DEFAULT_S3_TEST_REGION, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    return { endpoint, bucket, accessKeyId, secretAccessKey, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
