/** What an operator of the registry sees: health, readiness, metrics, logs, and abandoned uploads purged. */
import { mkdtemp, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { Client } from '../../helpers/registry-app.js';
import { openStorage } from '../../../src/registry/storage/index.js';

let p: BerthProcess;
let c: Client;
beforeAll(async () => {
  p = await startBerth();
  c = new Client(p.url);
});
afterAll(() => p.stop());

test('/healthz and /readyz answer 200; /readyz says how the storage check went', async () => {
  expect((await c.req('GET', '/healthz')).status).toBe(200);
  expect((await c.req('GET', '/readyz')).json()).toEqual({ status: 'ready', storage: { status: 'ok', checkedAt: expect.any(Number) } });
});

test('/metrics counts requests by route kind and status, and bytes in and out', async () => {
  await c.pushImage('ops/app', 'v1', 'x'.repeat(1000));
  await c.req('GET', '/v2/ops/app/manifests/v1');
  await c.req('GET', '/v2/ops/app/manifests/missing');
  const m = (await c.req('GET', '/metrics')).text;
  expect(m).toMatch(/berth_http_requests_total\{route="manifest",method="GET",status="200"\} 1/);
  expect(m).toMatch(/berth_http_requests_total\{route="manifest",method="GET",status="404"\} 1/);
  expect(m).toMatch(/berth_http_bytes_received_total\{route="uploadStart"\} \d{4}/);
  expect(m).toMatch(/berth_blob_upload_duration_seconds_count \d+/);
  expect(m).toMatch(/berth_process_resident_memory_bytes/);
});

test('one JSON log line per request, with the fields and never the Authorization header', async () => {
  await c.req('GET', '/v2/ops/app/tags/list', {
    headers: { Authorization: 'Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3N3b3Jk', 'X-Request-Id': 'trace-42' },
  });
  await new Promise((r) => setTimeout(r, 100));
  const line = p.logs.find((l) => l.requestId === 'trace-42');
  expect(line).toMatchObject({
    message: 'request',
    method: 'GET',
    route: 'tags',
    repository: 'ops/app',
    status: 200,
    bytesIn: 0,
  });
  expect(typeof line?.durationMs).toBe('number');
  expect(line?.bytesOut).toBeGreaterThan(0);
  expect(JSON.stringify(p.logs)).not.toMatch(/c2VjcmV0|secret-password|Basic /);
});

test('probes and scrapes are not logged at info level; other requests are', async () => {
  for (const path of ['/healthz', '/readyz', '/metrics', '/healthz?verbose=1']) {
    await c.req('GET', path, { headers: { 'X-Request-Id': `probe-${path.length}` } });
  }
  await c.req('GET', '/v2/', { headers: { 'X-Request-Id': 'not-a-probe' } });
  await new Promise((r) => setTimeout(r, 100));
  expect(p.logs.filter((l) => String(l.requestId).startsWith('probe-'))).toEqual([]);
  expect(p.logs.find((l) => l.requestId === 'not-a-probe')).toMatchObject({ level: 'info', message: 'request', component: 'registry' });
});

test('abandoned upload sessions are purged after their age, live ones stay', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-purge-'));
  const storage = await openStorage({ driver: 'filesystem', root });
  const old = await storage.uploads.create('ops/app');
  const fresh = await storage.uploads.create('ops/app');
  const longAgo = new Date(Date.now() - 3 * 3600_000);
  for (const f of ['data', 'info.json']) await utimes(join(root, 'uploads', old, f), longAgo, longAgo);
  expect(await storage.uploads.purge(2 * 3600_000)).toBe(1);
  await expect(storage.uploads.size('ops/app', old)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
  expect(await storage.uploads.size('ops/app', fresh)).toBe(0);
});

test('a bad config stops the program with a message that names the field', async () => {
  const { writeFile } = await import('node:fs/promises');
  const dir = await mkdtemp(join(tmpdir(), 'berth-cfg-'));
  await writeFile(join(dir, 'config.yaml'), 'storage:\n  uploadPurge:\n    maxAge: soon\n');
  await expect(startBerth({ config: join(dir, 'config.yaml') })).rejects.toThrow(
    /config: storage\.uploadPurge\.maxAge: must be a duration/,
  );
});
