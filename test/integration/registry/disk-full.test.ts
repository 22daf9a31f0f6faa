/**
 * Disk full: a `berth serve` on a 2 MiB tmpfs (mounted by the test; it needs root). A push larger than the space
 * fails with 507 and an OCI error body, nothing of it is readable, no temp file is left, and once space is freed
 * (an image deleted and collected) pushes succeed again.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { CLI, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { deleteImage, filesBelow, pullImage, pushImage, sha } from '../../helpers/gc-client.js';

const run = promisify(execFile);
let mountPoint: string;
let server: BerthProcess;

beforeAll(async () => {
  mountPoint = await mkdtemp(join(tmpdir(), 'berth-full-'));
  await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  server = await startBerth({ storage: join(mountPoint, 'data') });
});

afterAll(async () => {
  await server?.stop();
  await run('umount', [mountPoint]).catch(() => undefined);
  await rm(mountPoint, { recursive: true, force: true });
});

async function pushBlob(bytes: Buffer): Promise<Response> {
  const start = await fetch(`${server.url}/v2/full/app/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(start.headers.get('location')!, server.url);
  loc.searchParams.set('digest', sha(bytes));
  return fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
}

test('a push that fills the disk fails cleanly, and pushes work again once space is freed', async () => {
  const small = await pushImage(server.url, 'full/app', 'small', [0]);
  const big = randomBytes(3 * 1024 * 1024);
  const res = await pushBlob(big);
  expect(res.status).toBe(507);
  expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('UNAVAILABLE');
  expect((await fetch(`${server.url}/v2/full/app/blobs/${sha(big)}`, { method: 'HEAD' })).status).toBe(404);
  expect(await readdir(join(mountPoint, 'data', 'tmp')).catch(() => [])).toEqual([]);
  let uploadBytes = 0; // the failed append was truncated back
  for (const f of await filesBelow(join(mountPoint, 'data'), 'uploads')) if (f.endsWith('/data')) uploadBytes += (await stat(f)).size;
  expect(uploadBytes).toBe(0);
  expect(await pullImage(server.url, small)).toBeUndefined();

  const filler = await pushBlob(randomBytes(1024 * 1024)); // the space the next step frees
  expect(filler.status).toBe(201);
  await fetch(`${server.url}/v2/full/app/blobs/${filler.headers.get('docker-content-digest')}`, { method: 'DELETE' });
  await deleteImage(server.url, small);
  await run(process.execPath, [CLI, 'gc', '--storage', join(mountPoint, 'data'), '--grace-period', '1ms']);
  const again = await pushBlob(randomBytes(1536 * 1024));
  expect(again.status).toBe(201);
});
