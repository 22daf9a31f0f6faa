/**
 * Disk full on every write path, on a `berth serve` over a 2 MiB tmpfs (mounted by the test; it needs root): the
 * disk is filled to the last page, then a few pages are freed, so the ENOSPC falls on a chosen write of a manifest
 * push (its bytes, its revision, its tag), on a tag moved to another manifest, on a chunked upload and on opening an
 * upload session. Each answers 507 UNAVAILABLE with the message, a log line and a count; nothing half-written is
 * readable, a moved tag still points at its old manifest, no temp file or upload bytes stay; `/readyz` stays 200
 * ("degraded", storage full). Once space is freed, the same pushes succeed. On a disk full to the last page,
 * `berth gc` still frees a deleted image (through the space reserve). Then the file system is remounted
 * read-only: `/readyz` answers 503 with the reason, and 200 again once it is writable.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { filesBelow, pullImage, pushImage, sha, type PushedImage } from '../../helpers/gc-client.js';

const run = promisify(execFile);
const PAGE = 4096;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const DISK_FULL = 'the registry storage is full; nothing half-written was kept, retry once space is freed';

let mountPoint: string;
let filler: string;
let server: BerthProcess;
let base: PushedImage;

beforeAll(async () => {
  mountPoint = await mkdtemp(join(tmpdir(), 'berth-full-writes-'));
  await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  filler = join(mountPoint, 'filler');
  server = await startBerth({ storage: join(mountPoint, 'data') });
  base = await pushImage(server.url, 'full/app', 'v1', [0]);
});

afterAll(async () => {
  await server?.stop();
  await run('umount', [mountPoint]).catch(() => undefined);
  await rm(mountPoint, { recursive: true, force: true });
});

/** Fills the file system to its last page, then frees `pages` pages of it. */
async function fillLeaving(pages: number): Promise<void> {
  const fh = await open(filler, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close();
  }
  const used = Math.ceil((await stat(filler)).size / PAGE);
  await truncate(filler, Math.max(0, used - pages) * PAGE);
}

/** A manifest over `base`'s blobs that no one pushed yet (its own annotation). */
function newManifest(note: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: base.blobs[0], size: 0 },
      layers: [],
      annotations: { note },
    }),
  );
}

async function putManifest(repo: string, ref: string, bytes: Buffer): Promise<Response> {
  return fetch(`${server.url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': MANIFEST_TYPE } });
}

async function expectDiskFull(res: Response): Promise<void> {
  expect(res.status).toBe(507);
  expect(await res.json()).toEqual({ errors: [{ code: 'UNAVAILABLE', message: DISK_FULL }] });
}

const status = async (path: string, method = 'GET') => (await fetch(`${server.url}${path}`, { method })).status;

/** No temp file of an atomic write, and no upload bytes, are left in the storage. */
async function expectNoLeftovers(): Promise<void> {
  expect(await readdir(join(server.storage, 'tmp')).catch(() => [])).toEqual([]);
  let uploadBytes = 0;
  for (const f of await filesBelow(server.storage, 'uploads')) if (f.endsWith('/data')) uploadBytes += (await stat(f)).size;
  expect(uploadBytes).toBe(0);
}

async function pushBlob(bytes: Buffer): Promise<Response> {
  const start = await fetch(`${server.url}/v2/full/app/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(start.headers.get('location')!, server.url);
  loc.searchParams.set('digest', sha(bytes));
  return fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
}

async function tags(repo: string): Promise<string[]> {
  return ((await (await fetch(`${server.url}/v2/${repo}/tags/list`)).json()) as { tags: string[] }).tags;
}

// A new manifest pushed by tag writes 3 pages: its bytes, its revision (the media type), the tag (the digest).
test.each([
  ['its bytes', 0, false],
  ['its revision', 1, false],
  ['its tag', 2, true],
])('a manifest push that runs out of space at %s (%i pages free) fails cleanly', async (_what, pages, byDigest) => {
  const bytes = newManifest(`at ${pages}`);
  await fillLeaving(pages);
  try {
    await expectDiskFull(await putManifest('full/app', `t${pages}`, bytes));
    expect(await status(`/v2/full/app/manifests/t${pages}`)).toBe(404);
    expect(await tags('full/app')).not.toContain(`t${pages}`);
    // the content written before the tag is whole and verified (a by-digest GET checks it), or not there at all
    expect(await status(`/v2/full/app/manifests/${sha(bytes)}`)).toBe(byDigest ? 200 : 404);
    await expectNoLeftovers();
    expect(await pullImage(server.url, base)).toBeUndefined();
  } finally {
    await rm(filler);
  }
  expect((await putManifest('full/app', `t${pages}`, bytes)).status).toBe(201);
  expect(await status(`/v2/full/app/manifests/t${pages}`)).toBe(200);
});

test('moving a tag to another manifest on a full disk fails and leaves the tag where it was', async () => {
  const other = await pushImage(server.url, 'full/app', 'other', []);
  const otherBytes = Buffer.from(await (await fetch(`${server.url}/v2/full/app/manifests/other`, { headers: { accept: MANIFEST_TYPE } })).arrayBuffer());
  await fillLeaving(0);
  try {
    // the revision of `other` is written again first (its push time, which GC reads): that already needs a page
    await expectDiskFull(await putManifest('full/app', 'v1', otherBytes));
    await expectDiskFull(await putManifest('full/app', `${other.digest}?tag=v1&tag=fresh`, otherBytes));
    expect(await pullImage(server.url, base)).toBeUndefined();
    await expectNoLeftovers();
  } finally {
    await rm(filler);
  }
  expect(await pullImage(server.url, base)).toBeUndefined();
  expect(await tags('full/app')).not.toContain('fresh');
  expect((await putManifest('full/app', `${other.digest}?tag=v1&tag=fresh`, otherBytes)).status).toBe(201);
  expect(await pullImage(server.url, { ...other, tag: 'v1' })).toBeUndefined();
});

test('a chunked upload that runs out of space ends its session and frees its bytes', async () => {
  await fillLeaving(64); // 256 KiB
  try {
    const start = await fetch(`${server.url}/v2/full/app/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get('location')!, server.url);
    const chunk = randomBytes(128 * 1024);
    const first = await fetch(location, { method: 'PATCH', body: chunk, headers: { 'content-range': `0-${chunk.length - 1}` } });
    expect(first.status).toBe(202);
    const next = new URL(first.headers.get('location')!, server.url);
    await expectDiskFull(
      await fetch(next, { method: 'PATCH', body: randomBytes(512 * 1024), headers: { 'content-range': `${chunk.length}-${chunk.length + 512 * 1024 - 1}` } }),
    );
    expect((await fetch(next)).status).toBe(404); // the session is gone
    await expectNoLeftovers();
    expect(server.logs.some((l) => l.message === 'storage is full' && l.route === 'PATCH upload' && l.repository === 'full/app')).toBe(true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/^berth_storage_errors_total\{operation="disk_full"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(5);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ status: 'degraded', storage: { status: 'full' } });
  } finally {
    await rm(filler);
  }
  expect((await pushBlob(randomBytes(600 * 1024))).status).toBe(201);
});

test('opening an upload session on a full disk fails cleanly', async () => {
  await fillLeaving(0);
  try {
    await expectDiskFull(await fetch(`${server.url}/v2/full/app/blobs/uploads/`, { method: 'POST' }));
    expect(await filesBelow(server.storage, 'uploads')).toEqual([]); // no session, no slot held in the repository's cap
  } finally {
    await rm(filler);
  }
  expect(await status('/v2/full/app/blobs/uploads/', 'POST')).toBe(202);
});

test('on a disk full to the last page, berth gc still runs (the space reserve makes room for its lease) and frees what was deleted', async () => {
  const big = randomBytes(400 * 1024);
  expect((await pushBlob(big)).status).toBe(201);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: base.blobs[0], size: 0 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(big), size: big.length }],
    }),
  );
  expect((await putManifest('full/app', 'big', bytes)).status).toBe(201);
  await stat(join(server.storage, 'gc', 'reserve')); // written by berth serve at start
  await fillLeaving(0);
  try {
    expect((await fetch(`${server.url}/v2/full/app/manifests/${sha(bytes)}`, { method: 'DELETE' })).status).toBe(202);
    await fillLeaving(0); // the pages the delete freed (its tag and revision) are taken too
    const gc = await run(process.execPath, [CLI, 'gc', '--storage', server.storage, '--grace-period', '1ms']);
    expect(gc.stdout).toContain(`deleted blob ${sha(big)} (${big.length} bytes)`);
    await stat(join(server.storage, 'gc', 'reserve')); // written again once there was room
    expect((await pushBlob(randomBytes(200 * 1024))).status).toBe(201); // the filler is still there
  } finally {
    await rm(filler);
  }
});

test('/readyz answers 503 with the reason while the storage is read-only, and 200 once it is writable again', async () => {
  await run('mount', ['-o', 'remount,ro', mountPoint]);
  try {
    const deadline = Date.now() + 20_000;
    let body: { status?: string; storage?: { status: string; reason?: string } } = {};
    let code = 0;
    while (code !== 503 && Date.now() < deadline) {
      const res = await fetch(`${server.url}/readyz`);
      code = res.status;
      body = (await res.json()) as typeof body;
      if (code !== 503) await new Promise((r) => setTimeout(r, 250));
    }
    expect(code).toBe(503);
    expect(body).toMatchObject({ status: 'not ready', storage: { status: 'unavailable', reason: expect.stringContaining('EROFS') } });
    expect(await pullImage(server.url, { ...base, tag: base.digest })).toBeUndefined(); // reads still work
  } finally {
    await run('mount', ['-o', 'remount,rw', mountPoint]);
  }
  const deadline = Date.now() + 20_000;
  let code = 0;
  while (code !== 200 && Date.now() < deadline) {
    code = (await fetch(`${server.url}/readyz`)).status;
    if (code !== 200) await new Promise((r) => setTimeout(r, 250));
  }
  expect(code).toBe(200);
});
