/**
 * Issue 9, findings 5 and 6, the storage side: upload sessions capped per repository and per principal (counted in
 * storage, so across processes), an optional upload size refused early or mid-stream with nothing left behind, a
 * mount without `from` that never searches other repositories, and referrers read one page at a time. Each bound
 * answers with an OCI error naming its config field and is counted in `berth_http_limit_hits_total{limit}`.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { Client, sha256 } from '../../helpers/registry-app.js';
import { basic, call, PASSWORDS, SECRETS, startAuthRegistry, tokenFor, type AuthRegistry } from './auth-fixture.js';

interface Served {
  berth: BerthProcess;
  c: Client;
  stop(): Promise<void>;
}

async function serve(config: object, storage?: string): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bounds-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, stringify(config));
  const berth = await startBerth({ config: file, ...(storage ? { storage } : {}) });
  return {
    berth,
    c: new Client(berth.url),
    async stop() {
      await berth.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Raw {
  status: number;
  body: string;
}

/**
 * A request from `localAddress` whose body is written by `write` (which may announce more than it sends); resolves
 * with the response, which may come before the body is done.
 */
function raw(base: string, method: string, path: string, opts: { localAddress?: string; headers?: Record<string, string>; write?: (req: ReturnType<typeof request>) => void } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: opts.headers, localAddress: opts.localAddress ?? '127.0.0.1' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err) => reject(err));
    if (opts.write) opts.write(req);
    else req.end();
  });
}

const metric = async (base: string, limit: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`berth_http_limit_hits_total\\{limit="${limit}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

const errorOf = (body: string): { code: string; message: string; detail: { limit: string } } =>
  (JSON.parse(body) as { errors: Array<{ code: string; message: string; detail: { limit: string } }> }).errors[0]!;

/** Upload sessions and slot markers left in a filesystem store. */
async function leftovers(storage: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else found.push(join(dir, e.name).slice(storage.length + 1));
    }
  };
  await walk(join(storage, 'uploads'));
  return found;
}

describe('upload session caps (3 a repository, 5 a principal)', () => {
  let s: Served;
  let second: Served | undefined;
  const limits = { uploadSessionsPerRepository: 3, uploadSessionsPerPrincipal: 5 };
  beforeAll(async () => {
    s = await serve({ limits });
  }, 20_000);
  afterAll(async () => {
    await second?.stop();
    await s?.stop();
  });

  test('a full repository, then a full principal: 429 naming the field; a finished or cancelled session frees its slot', async () => {
    const open = (repo: string, localAddress?: string): Promise<Raw> => raw(s.berth.url, 'POST', `/v2/${repo}/blobs/uploads/`, { localAddress });
    const a = [await s.c.openUpload('caps/a'), await s.c.openUpload('caps/a'), await s.c.openUpload('caps/a')];
    const fourth = await open('caps/a');
    expect(fourth.status).toBe(429);
    expect(errorOf(fourth.body)).toMatchObject({ code: 'TOOMANYREQUESTS', detail: { limit: 'limits.uploadSessionsPerRepository' } });
    expect(errorOf(fourth.body).message).toContain('limits.uploadSessionsPerRepository: 3');

    // the repository cap holds for every client
    expect((await open('caps/a', '127.0.0.2')).status).toBe(429);

    await s.c.openUpload('caps/b');
    await s.c.openUpload('caps/b');
    const sixth = await open('caps/c');
    expect(sixth.status).toBe(429);
    expect(errorOf(sixth.body)).toMatchObject({ code: 'TOOMANYREQUESTS', detail: { limit: 'limits.uploadSessionsPerPrincipal' } });
    // a different principal (another address, no auth) has its own slots
    expect((await open('caps/c', '127.0.0.2')).status).toBe(202);

    // cancelling frees a slot in both caps
    expect((await s.c.req('DELETE', a[0]!)).status).toBe(204);
    const again = await s.c.openUpload('caps/a');
    expect((await open('caps/a')).status).toBe(429);
    // finishing frees one too
    const data = 'finished';
    expect((await s.c.req('PUT', `${again}?digest=${sha256(data)}`, { body: data })).status).toBe(201);
    expect((await open('caps/a')).status).toBe(202);

    expect(await metric(s.berth.url, 'upload_sessions_per_repository')).toBe(3);
    expect(await metric(s.berth.url, 'upload_sessions_per_principal')).toBe(1);
  });

  test('the caps are counted in storage: a second process over the same store refuses too', async () => {
    second = await serve({ limits }, s.berth.storage);
    const r = await raw(second.berth.url, 'POST', '/v2/caps/a/blobs/uploads/');
    expect(r.status).toBe(429);
    expect(errorOf(r.body).detail.limit).toBe('limits.uploadSessionsPerRepository');
  });
});

describe('with auth, the principal is the authenticated subject (uploadSessionsPerPrincipal: 2)', () => {
  let r: AuthRegistry;
  beforeAll(async () => {
    r = await startAuthRegistry({ limits: { uploadSessionsPerPrincipal: 2 } });
  }, 30_000);
  afterAll(async () => {
    await r?.stop();
  });

  test('alice is capped across repositories; robot ci, from the same address, has its own slots', async () => {
    const alice = await tokenFor(r.url, ['repository:team/one:pull,push', 'repository:team/two:pull,push'], basic('alice', PASSWORDS.alice));
    const ci = await tokenFor(r.url, ['repository:team/app:pull,push'], basic('ci', SECRETS.ci));
    expect((await call(r.url, 'POST', '/v2/team/one/blobs/uploads/', alice)).status).toBe(202);
    expect((await call(r.url, 'POST', '/v2/team/two/blobs/uploads/', alice)).status).toBe(202);
    const third = await call(r.url, 'POST', '/v2/team/two/blobs/uploads/', alice);
    expect(third.status).toBe(429);
    expect(errorOf(third.text).detail.limit).toBe('limits.uploadSessionsPerPrincipal');
    expect((await call(r.url, 'POST', '/v2/team/app/blobs/uploads/', ci)).status).toBe(202);
  });
});

describe('upload size (limits.uploadMaxBytes: 1000)', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ limits: { uploadMaxBytes: 1000 } });
  }, 20_000);
  afterAll(async () => {
    await s?.stop();
  });

  const expectTooLarge = (r: Raw): void => {
    expect(r.status).toBe(413);
    expect(errorOf(r.body)).toMatchObject({ code: 'SIZE_INVALID', detail: { limit: 'limits.uploadMaxBytes', max: 1000 } });
  };

  test('up to the bound, an upload works', async () => {
    expect(await s.c.pushBlob('size/ok', Buffer.alloc(1000, 1))).toBe(sha256(Buffer.alloc(1000, 1)));
  });

  test('a PATCH announcing more (Content-Length) is refused before its body is read; the session is gone', async () => {
    const loc = await s.c.openUpload('size/early');
    // 10 MB announced, nothing sent: only an answer that does not wait for the body can arrive
    const r = await raw(s.berth.url, 'PATCH', loc, {
      headers: { 'Content-Length': String(10_000_000), 'Content-Type': 'application/octet-stream' },
      write: (req) => req.flushHeaders(),
    });
    expectTooLarge(r);
    expect((await s.c.req('GET', loc)).status).toBe(404);
    expect(await leftovers(s.berth.storage)).toEqual([]);
  });

  test('a chunk whose Content-Range ends past the bound is refused early too', async () => {
    const loc = await s.c.openUpload('size/range');
    const r = await raw(s.berth.url, 'PATCH', loc, {
      headers: { 'Content-Range': '0-1999', 'Content-Length': '2000' },
      write: (req) => req.flushHeaders(),
    });
    expectTooLarge(r);
    expect(await leftovers(s.berth.storage)).toEqual([]);
  });

  test('a streamed (chunked) upload that crosses the bound mid-stream: 413, nothing partial stays', async () => {
    const loc = await s.c.openUpload('size/stream');
    expect((await s.c.req('PATCH', loc, { body: Buffer.alloc(400, 2) })).status).toBe(202);
    const r = await raw(s.berth.url, 'PATCH', loc, {
      write: (req) => {
        req.write(Buffer.alloc(400, 3));
        setTimeout(() => req.end(Buffer.alloc(400, 4)), 50);
      },
    });
    expectTooLarge(r);
    expect((await s.c.req('GET', loc)).status).toBe(404);
    expect(await leftovers(s.berth.storage)).toEqual([]);
  });

  test('a monolithic POST ?digest= over the bound: 413, no blob, no session', async () => {
    const data = Buffer.alloc(1001, 5);
    const r = await s.c.req('POST', `/v2/size/mono/blobs/uploads/?digest=${sha256(data)}`, { body: data });
    expect(r.status).toBe(413);
    expect((await s.c.req('HEAD', `/v2/size/mono/blobs/${sha256(data)}`)).status).toBe(404);
    expect(await leftovers(s.berth.storage)).toEqual([]);
    expect(await metric(s.berth.url, 'upload_max_bytes')).toBe(4);
  });
});

describe('mount without from, with 1,000 repositories holding the blob', () => {
  let s: Served;
  const data = 'a blob in a thousand repositories';
  const digest = sha256(data);
  beforeAll(async () => {
    const storage = await mkdtemp(join(tmpdir(), 'berth-mount-'));
    const hex = digest.slice('sha256:'.length);
    await mkdir(join(storage, 'blobs', 'sha256', hex.slice(0, 2)), { recursive: true });
    await writeFile(join(storage, 'blobs', 'sha256', hex.slice(0, 2), hex), data);
    for (let i = 0; i < 1000; i++) {
      const dir = join(storage, 'repositories', 'tenant', `r${i}`, '_layers', 'sha256');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, hex), '');
    }
    s = await serve({}, storage);
  }, 60_000);
  afterAll(async () => {
    const storage = s?.berth.storage;
    await s?.stop();
    if (storage) await rm(storage, { recursive: true, force: true });
  });

  test('falls back to a 202 upload: no repository is searched, so nothing is mounted and nothing is told', async () => {
    expect((await s.c.req('HEAD', `/v2/tenant/r999/blobs/${digest}`)).status).toBe(200);
    const r = await s.c.req('POST', `/v2/elsewhere/blobs/uploads/?mount=${digest}`);
    expect(r.status).toBe(202);
    expect(r.headers.location).toMatch(/^\/v2\/elsewhere\/blobs\/uploads\//);
    expect((await s.c.req('HEAD', `/v2/elsewhere/blobs/${digest}`)).status).toBe(404);
    // the same answer as for a blob that is nowhere
    expect((await s.c.req('POST', `/v2/elsewhere/blobs/uploads/?mount=${sha256('nowhere')}`)).status).toBe(202);
    // with from, the mount still works
    expect((await s.c.req('POST', `/v2/elsewhere/blobs/uploads/?mount=${digest}&from=tenant/r500`)).status).toBe(201);
  });
});
