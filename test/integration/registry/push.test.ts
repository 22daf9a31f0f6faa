/** Pushing blobs, as the spec groups it: monolithic, POST then PUT, streamed, chunked, status, cancel, mount. */
import { Client, sha256, sha512, startTestRegistry, type TestRegistry } from '../../helpers/registry-app.js';

let reg: TestRegistry;
let c: Client;
beforeAll(async () => {
  reg = await startTestRegistry();
  c = new Client(reg.url);
});
afterAll(() => reg.close());

const getBlob = (repo: string, digest: string) => c.req('GET', `/v2/${repo}/blobs/${digest}`);

describe('monolithic upload', () => {
  test('single POST with ?digest= → 201, Location and Docker-Content-Digest; the blob is pullable', async () => {
    const data = 'single post';
    const r = await c.req('POST', `/v2/mono/blobs/uploads/?digest=${sha256(data)}`, { body: data });
    expect(r.status).toBe(201);
    expect(r.headers.location).toBe(`/v2/mono/blobs/${sha256(data)}`);
    expect(r.headers['docker-content-digest']).toBe(sha256(data));
    expect(r.headers['content-length']).toBe('0');
    expect((await getBlob('mono', sha256(data))).text).toBe(data);
  });

  test('POST then PUT with the body → 201', async () => {
    const data = Buffer.alloc(100_000, 7);
    const loc = await c.openUpload('mono');
    const r = await c.req('PUT', `${loc}?digest=${sha256(data)}`, { body: data });
    expect(r.status).toBe(201);
    expect((await getBlob('mono', sha256(data))).body.equals(data)).toBe(true);
  });

  test('the POST that opens an upload answers exactly 202 with Location, Range 0-0, Docker-Upload-UUID', async () => {
    const r = await c.req('POST', '/v2/mono/blobs/uploads/');
    expect(r.status).toBe(202);
    expect(r.headers.location).toMatch(/^\/v2\/mono\/blobs\/uploads\/[0-9a-f-]{36}$/);
    expect(r.headers.range).toBe('0-0');
    expect(r.headers['docker-upload-uuid']).toBe((r.headers.location as string).split('/').pop());
    expect(r.headers['content-length']).toBe('0');
  });

  test('sha512 digests', async () => {
    const data = 'sha512 content';
    const loc = await c.openUpload('mono');
    expect((await c.req('PUT', `${loc}?digest=${sha512(data)}`, { body: data })).status).toBe(201);
    const got = await getBlob('mono', sha512(data));
    expect(got.text).toBe(data);
    expect(got.headers['docker-content-digest']).toBe(sha512(data));
  });

  test('empty blob round-trips', async () => {
    const loc = await c.openUpload('mono');
    expect((await c.req('PUT', `${loc}?digest=${sha256('')}`)).status).toBe(201);
    const got = await getBlob('mono', sha256(''));
    expect(got.status).toBe(200);
    expect(got.headers['content-length']).toBe('0');
  });

  test('a wrong digest → 400 DIGEST_INVALID, nothing stored, the session is gone', async () => {
    const loc = await c.openUpload('mono');
    const r = await c.req('PUT', `${loc}?digest=${sha256('other')}`, { body: 'actual' });
    expect(r.status).toBe(400);
    expect(r.json().errors[0].code).toBe('DIGEST_INVALID');
    expect((await getBlob('mono', sha256('other'))).status).toBe(404);
    expect((await getBlob('mono', sha256('actual'))).status).toBe(404);
    expect((await c.req('GET', loc)).status).toBe(404);
  });
});

describe('streamed upload (docker, podman)', () => {
  test('PATCH without Content-Range, chunked transfer encoding, then PUT with an empty body', async () => {
    const data = Buffer.alloc(300_000, 3);
    const loc = await c.openUpload('stream');
    const p = await c.req('PATCH', loc, { body: data, chunked: true });
    expect(p.status).toBe(202);
    expect(p.headers.range).toBe(`0-${data.length - 1}`);
    expect(p.headers.location).toBe(loc);
    const put = await c.req('PUT', `${loc}?digest=${sha256(data)}`);
    expect(put.status).toBe(201);
    expect((await getBlob('stream', sha256(data))).body.equals(data)).toBe(true);
  });

  test('two streamed PATCHes append', async () => {
    const loc = await c.openUpload('stream');
    await c.req('PATCH', loc, { body: 'abc' });
    const p = await c.req('PATCH', loc, { body: 'def' });
    expect(p.headers.range).toBe('0-5');
    expect((await c.req('PUT', `${loc}?digest=${sha256('abcdef')}`)).status).toBe(201);
  });
});

describe('chunked upload', () => {
  const data = Buffer.from('0123456789abcdefghij');
  test('in-order chunks → 202 with the whole-blob Range; status GET → 204; final PUT', async () => {
    const loc = await c.openUpload('chunked');
    const a = await c.req('PATCH', loc, { body: data.subarray(0, 10), headers: { 'Content-Range': '0-9' } });
    expect(a.status).toBe(202);
    expect(a.headers.range).toBe('0-9');
    const s = await c.req('GET', loc);
    expect(s.status).toBe(204);
    expect(s.headers.range).toBe('0-9');
    expect(s.headers.location).toBe(loc);
    const b = await c.req('PATCH', loc, { body: data.subarray(10), headers: { 'Content-Range': '10-19' } });
    expect(b.headers.range).toBe('0-19');
    expect((await c.req('PUT', `${loc}?digest=${sha256(data)}`)).status).toBe(201);
  });

  test('out-of-order chunk → 416; a retried chunk → 416; the session is unchanged', async () => {
    const loc = await c.openUpload('chunked');
    expect((await c.req('PATCH', loc, { body: data.subarray(10), headers: { 'Content-Range': '10-19' } })).status).toBe(416);
    await c.req('PATCH', loc, { body: data.subarray(0, 10), headers: { 'Content-Range': '0-9' } });
    expect((await c.req('PATCH', loc, { body: data.subarray(0, 10), headers: { 'Content-Range': '0-9' } })).status).toBe(416);
    expect((await c.req('GET', loc)).headers.range).toBe('0-9');
  });

  test('the last chunk may ride on the PUT, with its Content-Range', async () => {
    const loc = await c.openUpload('chunked');
    await c.req('PATCH', loc, { body: data.subarray(0, 10), headers: { 'Content-Range': '0-9' } });
    const put = await c.req('PUT', `${loc}?digest=${sha256(data)}`, {
      body: data.subarray(10),
      headers: { 'Content-Range': '10-19' },
    });
    expect(put.status).toBe(201);
  });

  test('an out-of-order last chunk on PUT → 416', async () => {
    const loc = await c.openUpload('chunked');
    const put = await c.req('PUT', `${loc}?digest=${sha256(data)}`, {
      body: data.subarray(10),
      headers: { 'Content-Range': '10-19' },
    });
    expect(put.status).toBe(416);
  });

  test('Content-Length that disagrees with Content-Range → 400 SIZE_INVALID, nothing appended', async () => {
    const loc = await c.openUpload('chunked');
    const r = await c.req('PATCH', loc, { body: data.subarray(0, 10), headers: { 'Content-Range': '0-4' } });
    expect(r.status).toBe(400);
    expect(r.json().errors[0].code).toBe('SIZE_INVALID');
    expect((await c.req('GET', loc)).headers.range).toBe('0-0');
  });
});

describe('cancel and unknown sessions', () => {
  test('DELETE of an upload → 204, then 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const loc = await c.openUpload('cancel');
    await c.req('PATCH', loc, { body: 'x' });
    expect((await c.req('DELETE', loc)).status).toBe(204);
    const r = await c.req('GET', loc);
    expect(r.status).toBe(404);
    expect(r.json().errors[0].code).toBe('BLOB_UPLOAD_UNKNOWN');
    const id = loc.split('/').pop()!;
    expect((await reg.files('uploads')).filter((f) => f.startsWith(id))).toEqual([]);
  });

  test('a session id used under another repository is unknown', async () => {
    const loc = await c.openUpload('cancel');
    const other = loc.replace('/v2/cancel/', '/v2/other/');
    expect((await c.req('PATCH', other, { body: 'x' })).status).toBe(404);
  });
});

describe('cross-repository mount', () => {
  test('with from: 201 and the blob is in the target', async () => {
    const d = await c.pushBlob('src/repo', 'mount me');
    const r = await c.req('POST', `/v2/dst/repo/blobs/uploads/?mount=${d}&from=src/repo`);
    expect(r.status).toBe(201);
    expect(r.headers.location).toBe(`/v2/dst/repo/blobs/${d}`);
    expect(r.headers['docker-content-digest']).toBe(d);
    expect((await getBlob('dst/repo', d)).text).toBe('mount me');
  });

  test('without from: other repositories are never searched, so a blob held elsewhere falls back to a 202 upload', async () => {
    const d = await c.pushBlob('src/repo', 'auto mount');
    const r = await c.req('POST', `/v2/auto/blobs/uploads/?mount=${d}`);
    expect(r.status).toBe(202);
    expect(r.headers.location).toMatch(/^\/v2\/auto\/blobs\/uploads\//);
    expect((await c.req('HEAD', `/v2/auto/blobs/${d}`)).status).toBe(404);
  });

  test('without from: even a blob already in the target falls back to 202 (no automatic content discovery)', async () => {
    const d = await c.pushBlob('auto/again', 'already here');
    expect((await c.req('POST', `/v2/auto/again/blobs/uploads/?mount=${d}`)).status).toBe(202);
  });

  test('an unknown blob falls back to a 202 upload in the target', async () => {
    const r = await c.req('POST', `/v2/dst/repo/blobs/uploads/?mount=${sha256('nowhere')}&from=src/repo`);
    expect(r.status).toBe(202);
    expect(r.headers.location).toMatch(/^\/v2\/dst\/repo\/blobs\/uploads\//);
  });

  test('from a repository that lacks the blob → 202', async () => {
    const d = await c.pushBlob('src/repo', 'only here');
    expect((await c.req('POST', `/v2/dst/repo/blobs/uploads/?mount=${d}&from=empty/repo`)).status).toBe(202);
  });
});

test('concurrent pushes of the same blob all succeed and store one copy', async () => {
  const data = Buffer.alloc(2_000_000, 9);
  const results = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const loc = await c.openUpload(`same/r${i % 2}`);
      return c.req('PUT', `${loc}?digest=${sha256(data)}`, { body: data });
    }),
  );
  expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
  const blobs = (await reg.files('blobs')).filter((f) => f.endsWith(sha256(data).slice(7)));
  expect(blobs).toHaveLength(1);
  expect((await getBlob('same/r1', sha256(data))).body.equals(data)).toBe(true);
});
