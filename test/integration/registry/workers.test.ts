/**
 * `berth serve --workers 2`: one listening socket, two processes. Every request of these tests opens its own
 * connection, and the primary hands connections to the workers in turn, so consecutive requests of one upload land
 * on different workers; the metrics (aggregated by the primary, labelled by worker) show that both served.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { Client, sha256 } from '../../helpers/registry-app.js';
import { SECRETS, SERVICE, basic, startAuthRegistry, type AuthRegistry } from './auth-fixture.js';

/** Pids of the direct children of `pid` (the workers of a primary). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The samples of one metric in a Prometheus text page: labels (as text) → value. */
function samples(page: string, name: string): Array<{ labels: string; value: number }> {
  const out: Array<{ labels: string; value: number }> = [];
  for (const line of page.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m && m[1] === name) out.push({ labels: m[2]!, value: Number(m[3]) });
  }
  return out;
}

/** Sum of a metric's samples whose labels contain every one of `having`, per worker label. */
function perWorker(page: string, name: string, having: string[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const { labels, value } of samples(page, name)) {
    if (!having.every((h) => labels.includes(h))) continue;
    const worker = /worker="(\d+)"/.exec(labels)?.[1] ?? '(none)';
    sums.set(worker, (sums.get(worker) ?? 0) + value);
  }
  return sums;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('two workers, no auth', () => {
  let berth: BerthProcess;
  let client: Client;
  beforeAll(async () => {
    berth = await startBerth({ workers: 2 });
    client = new Client(berth.url);
  }, 40_000);
  afterAll(async () => {
    await berth?.stop('SIGKILL');
  });

  test('a chunked push whose requests alternate between workers pulls back intact; /metrics counts both workers', async () => {
    const data = Buffer.alloc(6 << 20);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const loc = await client.openUpload('workers/app');
    const chunk = 1 << 20;
    for (let start = 0; start < data.length; start += chunk) {
      const end = Math.min(data.length, start + chunk);
      const r = await client.req('PATCH', loc, { body: data.subarray(start, end), headers: { 'Content-Range': `${start}-${end - 1}` } });
      expect(r.status).toBe(202);
      expect(r.headers.range).toBe(`0-${end - 1}`);
    }
    expect((await client.req('PUT', `${loc}?digest=${sha256(data)}`)).status).toBe(201);
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux' });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await client.pushBlob('workers/app', config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(data), size: data.length }],
    });
    const put = await client.req('PUT', '/v2/workers/app/manifests/v1', { body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(put.status).toBe(201);

    for (let i = 0; i < 3; i++) {
      const pulled = await client.req('GET', `/v2/workers/app/blobs/${sha256(data)}`);
      expect(pulled.status).toBe(200);
      expect(pulled.body.equals(data)).toBe(true);
    }
    expect((await client.req('GET', '/v2/workers/app/manifests/v1')).headers['docker-content-digest']).toBe(sha256(manifest));

    const page = (await client.req('GET', '/metrics')).text;
    const patches = perWorker(page, 'berth_http_requests_total', ['route="upload"', 'method="PATCH"', 'status="202"']);
    expect([...patches.keys()].sort()).toEqual(['0', '1']);
    expect((patches.get('0') ?? 0) + (patches.get('1') ?? 0)).toBe(6);
    const blobGets = perWorker(page, 'berth_http_requests_total', ['route="blob"', 'method="GET"', 'status="200"']);
    expect([...blobGets.keys()].sort()).toEqual(['0', '1']);
    // every worker's process metrics are there too, each under its own label
    expect([...perWorker(page, 'berth_process_resident_memory_bytes', []).keys()].sort()).toEqual(['0', '1']);
  }, 60_000);

  test('a worker killed with SIGKILL is replaced, and requests keep being answered meanwhile', async () => {
    const pid = berth.child.pid!;
    const before = childrenOf(pid);
    expect(before).toHaveLength(2);
    process.kill(before[0]!, 'SIGKILL');
    // (a connection handed to the worker between its death and the primary noticing it is lost, as with any crash)
    await until('the primary to notice', async () => berth.logs.some((l) => l.message === 'a worker died; starting a replacement'));
    for (let i = 0; i < 10; i++) expect((await client.req('GET', '/v2/')).status).toBe(200);
    await until('a replacement worker', async () => childrenOf(pid).filter((p) => !before.includes(p)).length === 1);
    await until('both workers in /metrics', async () => {
      const page = (await client.req('GET', '/metrics')).text;
      return perWorker(page, 'berth_process_resident_memory_bytes', []).size === 2;
    });
    expect(berth.logs.find((l) => l.message === 'a worker died; starting a replacement')?.signal).toBe('SIGKILL');
  }, 60_000);

  test('SIGTERM stops every worker and the primary exits 0', async () => {
    const pid = berth.child.pid!;
    const workers = childrenOf(pid);
    const exit = new Promise<number | null>((resolve) => berth.child.once('exit', (code) => resolve(code)));
    berth.child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(workers.filter(alive)).toEqual([]);
  }, 60_000);
});

/** `GET /token` with Basic credentials on a new connection. */
function login(r: AuthRegistry, user: string, pass: string, localAddress = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${r.url}/token?service=${SERVICE}`, { agent: false, localAddress, headers: { Authorization: basic(user, pass) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the login limit holds for the registry, not per worker (3 failures a minute, attempts alternating between workers)', async () => {
  const r = await startAuthRegistry({ auth: { failedLoginsPerMinute: 3 }, workers: 2 });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await login(r, 'bob', `wrong-${i}`));
    // per-worker counts would have let 6 through (3 on each worker)
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // a robot's parallel logins from one (other) address are not refused: 40 at once, far over the limit of 3
    const robot = await Promise.all(Array.from({ length: 40 }, () => login(r, 'ci', SECRETS.ci, '127.0.0.9')));
    expect(robot.filter((s) => s !== 200)).toEqual([]);
  } finally {
    await r.stop();
  }
}, 60_000);
