/** Pulling: the base endpoint, blobs with ranges, manifests with their exact bytes and headers. */
import { Client, sha256, startTestRegistry, type TestRegistry } from '../../helpers/registry-app.js';

let reg: TestRegistry;
let c: Client;
beforeAll(async () => {
  reg = await startTestRegistry();
  c = new Client(reg.url);
});
afterAll(() => reg.close());

test('GET /v2/ → 200 with Docker-Distribution-API-Version', async () => {
  const r = await c.req('GET', '/v2/');
  expect(r.status).toBe(200);
  expect(r.headers['docker-distribution-api-version']).toBe('registry/2.0');
});

test('every /v2 response carries Docker-Distribution-API-Version, errors too', async () => {
  const r = await c.req('GET', '/v2/nope/manifests/latest');
  expect(r.status).toBe(404);
  expect(r.headers['docker-distribution-api-version']).toBe('registry/2.0');
});

describe('blobs', () => {
  const data = Buffer.from(Array.from({ length: 2048 }, (_, i) => i % 251));
  let digest: string;
  beforeAll(async () => {
    digest = await c.pushBlob('pull/blobs', data);
  });

  test('GET → 200, exact Content-Length, Docker-Content-Digest, the bytes', async () => {
    const r = await c.req('GET', `/v2/pull/blobs/blobs/${digest}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('2048');
    expect(r.headers['docker-content-digest']).toBe(digest);
    expect(r.body.equals(data)).toBe(true);
  });

  test('HEAD → 200 with the same headers and no body', async () => {
    const r = await c.req('HEAD', `/v2/pull/blobs/blobs/${digest}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('2048');
    expect(r.headers['docker-content-digest']).toBe(digest);
    expect(r.body.length).toBe(0);
  });

  test.each([
    ['bytes=500-1499', 206, 'bytes 500-1499/2048', 500, 1500],
    ['bytes=500-', 206, 'bytes 500-2047/2048', 500, 2048],
    ['bytes=-500', 206, 'bytes 1548-2047/2048', 1548, 2048],
    ['bytes=2000-5000', 206, 'bytes 2000-2047/2048', 2000, 2048],
  ])('Range %s → %d %s', async (range, status, contentRange, from, to) => {
    const r = await c.req('GET', `/v2/pull/blobs/blobs/${digest}`, { headers: { Range: range } });
    expect(r.status).toBe(status);
    expect(r.headers['content-range']).toBe(contentRange);
    expect(r.body.equals(data.subarray(from, to))).toBe(true);
  });

  test.each(['bytes=500-0', 'bytes=5000-10000'])('Range %s → 416', async (range) => {
    const r = await c.req('GET', `/v2/pull/blobs/blobs/${digest}`, { headers: { Range: range } });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe('bytes */2048');
  });

  test('a blob of another repository is unknown here (404 BLOB_UNKNOWN)', async () => {
    const r = await c.req('GET', `/v2/other/blobs/${digest}`);
    expect(r.status).toBe(404);
    expect(r.json().errors[0].code).toBe('BLOB_UNKNOWN');
  });

  test('HEAD of an unknown blob → 404 without a body', async () => {
    const r = await c.req('HEAD', `/v2/pull/blobs/blobs/${sha256('unknown')}`);
    expect(r.status).toBe(404);
    expect(r.body.length).toBe(0);
  });
});

describe('manifests', () => {
  test('GET by tag and by digest return the exact bytes with the pushed media type', async () => {
    const img = await c.pushImage('pull/m', 'v1');
    for (const ref of ['v1', img.digest]) {
      const r = await c.req('GET', `/v2/pull/m/manifests/${ref}`);
      expect(r.status).toBe(200);
      expect(r.text).toBe(img.manifest);
      expect(r.headers['content-type']).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(r.headers['docker-content-digest']).toBe(img.digest);
      expect(r.headers['content-length']).toBe(String(img.size));
    }
  });

  test('HEAD carries Content-Type, the real Content-Length and the digest', async () => {
    const img = await c.pushImage('pull/m', 'v2');
    const r = await c.req('HEAD', '/v2/pull/m/manifests/v2');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(img.size));
    expect(r.headers['docker-content-digest']).toBe(img.digest);
    expect(r.headers['content-type']).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(r.body.length).toBe(0);
  });

  test('If-None-Match with the digest ETag → 304', async () => {
    const img = await c.pushImage('pull/m', 'v3');
    const r = await c.req('GET', '/v2/pull/m/manifests/v3', { headers: { 'If-None-Match': `"${img.digest}"` } });
    expect(r.status).toBe(304);
  });

  test('bytes that are not canonical JSON are served unchanged', async () => {
    const config = await c.pushBlob('pull/raw', '{}');
    const body = `{\n  "schemaVersion":   2, "mediaType": "application/vnd.oci.image.manifest.v1+json",\n "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "${config}", "size": 2}, "layers": []  }\n\n`;
    const put = await c.req('PUT', '/v2/pull/raw/manifests/odd', {
      body,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(put.status).toBe(201);
    expect(put.headers['docker-content-digest']).toBe(sha256(body));
    expect((await c.req('GET', '/v2/pull/raw/manifests/odd')).text).toBe(body);
  });

  test('unknown tag → 404 MANIFEST_UNKNOWN; unknown repository → 404 NAME_UNKNOWN', async () => {
    await c.pushImage('pull/m', 'v4');
    const a = await c.req('GET', '/v2/pull/m/manifests/missing');
    expect(a.status).toBe(404);
    expect(a.json().errors[0].code).toBe('MANIFEST_UNKNOWN');
    const b = await c.req('GET', '/v2/no/such/repo/manifests/latest');
    expect(b.status).toBe(404);
    expect(b.json().errors[0].code).toBe('NAME_UNKNOWN');
  });
});
