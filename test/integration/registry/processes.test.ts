/**
 * Real `berth serve` processes: two processes over one directory (how replicas on one ReadWriteMany volume work),
 * a restart that loses no upload session, and a kill -9 in the middle of a push that loses nothing acknowledged
 * and exposes nothing partial.
 */
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { Client, listFiles, sha256 } from '../../helpers/registry-app.js';

let dir: string;
const procs: BerthProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-shared-'));
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<BerthProcess> {
  const p = await startBerth({ storage: dir });
  procs.push(p);
  return p;
}

test('push through one process, pull through the other', async () => {
  const [a, b] = await Promise.all([start(), start()]);
  const img = await new Client(a.url).pushImage('shared/app', 'v1');
  const got = await new Client(b.url).req('GET', '/v2/shared/app/manifests/v1');
  expect(got.status).toBe(200);
  expect(got.headers['docker-content-digest']).toBe(img.digest);
  expect((await new Client(b.url).req('GET', `/v2/shared/app/blobs/${img.layerDigest}`)).status).toBe(200);
});

test('an upload started on one process is finished on the other (digest re-checked from disk)', async () => {
  const [a, b] = [procs[0]!, procs[1]!];
  const data = Buffer.alloc(3_000_000, 5);
  const ca = new Client(a.url);
  const cb = new Client(b.url);
  const loc = await ca.openUpload('shared/app');
  await ca.req('PATCH', loc, { body: data.subarray(0, 1_000_000), headers: { 'Content-Range': '0-999999' } });
  const status = await cb.req('GET', loc);
  expect(status.headers.range).toBe('0-999999');
  await cb.req('PATCH', loc, { body: data.subarray(1_000_000), headers: { 'Content-Range': `1000000-${data.length - 1}` } });
  expect((await ca.req('PUT', `${loc}?digest=${sha256(data)}`)).status).toBe(201);
  const pulled = await cb.req('GET', `/v2/shared/app/blobs/${sha256(data)}`);
  expect(pulled.body.equals(data)).toBe(true);
});

test('a wrong digest at the end of a cross-process upload is refused', async () => {
  const [a, b] = [procs[0]!, procs[1]!];
  const loc = await new Client(a.url).openUpload('shared/app');
  await new Client(b.url).req('PATCH', loc, { body: 'some bytes' });
  const r = await new Client(a.url).req('PUT', `${loc}?digest=${sha256('other bytes')}`);
  expect(r.status).toBe(400);
  expect(r.json().errors[0].code).toBe('DIGEST_INVALID');
});

test('a restart loses no upload session', async () => {
  const a = procs[0]!;
  const loc = await new Client(a.url).openUpload('restart/app');
  await new Client(a.url).req('PATCH', loc, { body: 'before restart ' });
  await a.stop();
  const c = await start();
  const cc = new Client(c.url);
  expect((await cc.req('GET', loc)).headers.range).toBe('0-14');
  await cc.req('PATCH', loc, { body: 'after' });
  expect((await cc.req('PUT', `${loc}?digest=${sha256('before restart after')}`)).status).toBe(201);
});

test('kill -9 in the middle of a push: acknowledged chunks survive, nothing partial is readable', async () => {
  const p = await start();
  const c = new Client(p.url);
  const loc = await c.openUpload('crash/app');
  const first = Buffer.alloc(1 << 20, 1);
  expect((await c.req('PATCH', loc, { body: first, headers: { 'Content-Range': `0-${first.length - 1}` } })).status).toBe(202);
  // a second chunk is on the wire when the process dies
  const second = Buffer.alloc(8 << 20, 2);
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
    req.write(second.subarray(0, 4 << 20));
  });
  await new Promise((r) => setTimeout(r, 300));
  await p.stop('SIGKILL');
  await inflight;
  const after = await start();
  const ca = new Client(after.url);
  // the blob never became visible, under any name
  expect((await ca.req('GET', `/v2/crash/app/blobs/${sha256(whole)}`)).status).toBe(404);
  const blobs = await listFiles(join(dir, 'blobs'));
  expect(blobs.some((f) => f.endsWith(createHash('sha256').update(whole).digest('hex')))).toBe(false);
  // the acknowledged first chunk is intact; the session can be finished
  const status = await ca.req('GET', loc);
  expect(status.status).toBe(204);
  const size = Number((status.headers.range as string).split('-')[1]) + 1;
  expect(size).toBeGreaterThanOrEqual(first.length);
  // what the dead process appended beyond the acknowledged part is either whole chunk data or gone; resend from there
  await ca.req('PATCH', loc, { body: whole.subarray(size), headers: { 'Content-Range': `${size}-${whole.length - 1}` } });
  expect((await ca.req('PUT', `${loc}?digest=${sha256(whole)}`)).status).toBe(201);
  expect((await ca.req('GET', `/v2/crash/app/blobs/${sha256(whole)}`)).body.equals(whole)).toBe(true);
});
