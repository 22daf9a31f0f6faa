/**
 * Issue 9, finding 5, against a real `berth serve`: every HTTP resource bound is a config field, answers with an
 * OCI error, and is counted in /metrics. The timeouts here are one second so the tests are short; no assertion is
 * about time, only about what the server did (answered 408 and closed, or served the request).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { Client } from '../../helpers/registry-app.js';

async function startWith(config: object): Promise<{ berth: BerthProcess; port: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-limits-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, stringify(config));
  const berth = await startBerth({ config: file });
  return {
    berth,
    port: Number(berth.host.split(':')[1]),
    async stop() {
      await berth.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a raw connection (from `localAddress`), writes `data`, and resolves with everything read until it closes. */
function rawExchange(port: number, data: string, localAddress = '127.0.0.1'): { socket: Socket; done: Promise<string> } {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  let text = '';
  socket.on('data', (d) => (text += d.toString()));
  if (data) socket.write(data);
  const done = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
  });
  return { socket, done };
}

const bodyOf = (raw: string): unknown => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
/** One limit's hit count. Retries while the server still counts sockets the test just closed (its own request
 * would be refused by the very cap under test until the server has seen those closes). */
const metric = async (base: string, limit: string): Promise<number> => {
  let res = await fetch(`${base}/metrics`);
  for (let i = 0; res.status === 429 && i < 50; i++) {
    await res.text();
    await new Promise((r) => setTimeout(r, 100));
    res = await fetch(`${base}/metrics`);
  }
  expect(res.status).toBe(200);
  const text = await res.text();
  const m = new RegExp(`berth_http_limit_hits_total\\{limit="${limit}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

describe('timeouts (1 s each)', () => {
  let s: Awaited<ReturnType<typeof startWith>>;
  beforeAll(async () => {
    s = await startWith({ http: { headersTimeout: '1s', bodyIdleTimeout: '1s', keepAliveTimeout: '1s' }, auth: undefined });
  }, 20_000);
  afterAll(async () => {
    await s?.stop();
  });

  test.each([
    ['a connection that sends nothing', ''],
    ['headers that never finish', 'GET /v2/ HTTP/1.1\r\nHost: x\r\n'],
  ])('%s: 408 with an OCI error naming http.headersTimeout, then closed', async (_name, data) => {
    const raw = await rawExchange(s.port, data).done;
    expect(raw.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(bodyOf(raw)).toEqual({ errors: [{ code: 'TOOMANYREQUESTS', message: 'request headers not received within 1s', detail: { limit: 'http.headersTimeout' } }] });
    expect(await metric(s.berth.url, 'headers_timeout')).toBeGreaterThan(0);
  });

  test('a body that stops arriving (POST /token announcing 60,000 bytes, sending 10): 408 naming http.bodyIdleTimeout, closed', async () => {
    const head = 'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n';
    const raw = await rawExchange(s.port, `${head}grant_type`).done;
    expect(raw.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(bodyOf(raw)).toEqual({ errors: [{ code: 'TOOMANYREQUESTS', message: 'no request body bytes for 1s', detail: { limit: 'http.bodyIdleTimeout' } }] });
    expect(await metric(s.berth.url, 'body_idle_timeout')).toBeGreaterThan(0);
  });

  test('a stalled blob upload (PATCH) is cut the same way', async () => {
    const start = await fetch(`${s.berth.url}/v2/slow/app/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const location = start.headers.get('location')!;
    const head = `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n`;
    const raw = await rawExchange(s.port, `${head}${'x'.repeat(100)}`).done;
    expect(raw.startsWith('HTTP/1.1 408 ')).toBe(true);
  });

  test('an upload that keeps sending, slowly, for longer than the idle timeout is never cut', async () => {
    const data = Buffer.alloc(12 * 1024, 7);
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${s.berth.url}/v2/slow/app/blobs/uploads/?digest=${digest}`,
        { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      let i = 0;
      const tick = setInterval(() => {
        req.write(data.subarray(i * 1024, (i + 1) * 1024));
        if (++i === 12) {
          clearInterval(tick);
          req.end();
        }
      }, 300); // 12 chunks, 3.6 s in all, never 1 s without a byte
    });
    expect(status).toBe(201);
  });

  test('an idle keep-alive connection is closed after a response', async () => {
    const raw = await rawExchange(s.port, 'GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n').done;
    expect(raw.startsWith('HTTP/1.1 200 ')).toBe(true);
    expect(await metric(s.berth.url, 'keep_alive_timeout')).toBeGreaterThan(0);
  });
});

describe('connection caps', () => {
  let s: Awaited<ReturnType<typeof startWith>>;
  beforeAll(async () => {
    s = await startWith({ http: { maxConnections: 6, maxConnectionsPerAddress: 3 } });
  }, 20_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('past the per-address cap: 429 naming it; another address still gets in; past the total cap: 429', async () => {
    const held = [1, 2, 3].map(() => rawExchange(s.port, ''));
    await new Promise((r) => setTimeout(r, 200));
    const refused = await rawExchange(s.port, 'GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n').done;
    expect(refused.startsWith('HTTP/1.1 429 ')).toBe(true);
    expect(bodyOf(refused)).toEqual({ errors: [{ code: 'TOOMANYREQUESTS', message: 'too many open connections (http.maxConnectionsPerAddress)', detail: { limit: 'http.maxConnectionsPerAddress' } }] });
    const other = rawExchange(s.port, 'GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', '127.0.0.2');
    expect((await other.done).startsWith('HTTP/1.1 200 ')).toBe(true);
    const more = [1, 2, 3].map(() => rawExchange(s.port, '', '127.0.0.3'));
    await new Promise((r) => setTimeout(r, 200));
    const full = await rawExchange(s.port, 'GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n', '127.0.0.4').done;
    expect(full.startsWith('HTTP/1.1 429 ')).toBe(true);
    expect(bodyOf(full)).toMatchObject({ errors: [{ detail: { limit: 'http.maxConnections' } }] });
    for (const c of [...held, ...more]) c.socket.destroy();
    // At least the one refusal each asserted above; the metric read itself may be refused (and counted) while the
    // server has not yet seen the closes.
    expect(await metric(s.berth.url, 'max_connections_per_address')).toBeGreaterThanOrEqual(1);
    expect(await metric(s.berth.url, 'max_connections')).toBeGreaterThanOrEqual(1);
  });
});

describe('referrers page bound (limits.referrersPageMaxBytes: 2048)', () => {
  let s: Awaited<ReturnType<typeof startWith>>;
  beforeAll(async () => {
    s = await startWith({ limits: { referrersPageMaxBytes: 2048 } });
  }, 20_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('referrers with large annotations come in pages of at most 2 KiB (at least one each), linked to the end', async () => {
    const c = new Client(s.berth.url);
    const OCI = 'application/vnd.oci.image.manifest.v1+json';
    const subject = await c.pushImage('ref/big', 'v1');
    const empty = await c.pushBlob('ref/big', '{}');
    const pushed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({
        schemaVersion: 2, mediaType: OCI, artifactType: 'application/vnd.example.sig',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 }, layers: [],
        subject: { mediaType: OCI, digest: subject.digest, size: subject.size },
        annotations: { note: `${i}`.repeat(i === 4 ? 3000 : 900) },
      });
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      const put = await c.req('PUT', `/v2/ref/big/manifests/${digest}`, { body, headers: { 'Content-Type': OCI } });
      expect(put.status).toBe(201);
      pushed.push(digest);
    }
    const seen: string[] = [];
    let next: string | undefined = `/v2/ref/big/referrers/${subject.digest}`;
    let pages = 0;
    while (next) {
      const res = await c.req('GET', next);
      expect(res.status).toBe(200);
      const manifests = (res.json() as { manifests: Array<{ digest: string }> }).manifests;
      expect(manifests.length).toBeGreaterThanOrEqual(1);
      if (manifests.length > 1) expect(Buffer.byteLength(res.text)).toBeLessThan(2048 + 200);
      seen.push(...manifests.map((m) => m.digest));
      const link = res.headers.link as string | undefined;
      next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.sort()).toEqual([...pushed].sort());
    expect(await metric(s.berth.url, 'referrers_page_bytes')).toBeGreaterThan(0);
  });
});
