/**
 * Bad input: each request gets the right OCI error code and status, writes nothing, and never becomes a 5xx.
 */
import { Client, sha256, startTestRegistry, type TestRegistry } from '../../helpers/registry-app.js';

let reg: TestRegistry;
let c: Client;
let upload: string;
let digest: string;
beforeAll(async () => {
  reg = await startTestRegistry((cfg) => ({ ...cfg, limits: { ...cfg.limits, manifestMaxBytes: 1024 } }));
  c = new Client(reg.url);
  digest = (await c.pushImage('good/repo', 'v1')).digest;
  upload = await c.openUpload('good/repo');
});
afterAll(() => reg.close());

const OCI = { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' };
const D = sha256('x');

type Case = [name: string, method: string, path: () => string, status: number, code: string | null, opts?: object];

const CASES: Case[] = [
  ['dot-dot name', 'GET', () => '/v2/../etc/manifests/latest', 400, 'NAME_INVALID'],
  ['percent-encoded dots', 'GET', () => '/v2/a/%2e%2e/b/manifests/latest', 400, 'NAME_INVALID'],
  ['percent-encoded slash', 'PUT', () => '/v2/a%2fb/manifests/latest', 400, 'NAME_INVALID', { body: '{}', headers: OCI }],
  ['leading slash in name', 'GET', () => '/v2//a/tags/list', 400, 'NAME_INVALID'],
  ['upper-case name', 'POST', () => '/v2/Upper/blobs/uploads/', 400, 'NAME_INVALID'],
  ['over-long name', 'GET', () => `/v2/${'a'.repeat(250)}/tags/list`, 400, 'NAME_INVALID'],
  ['name with a space', 'GET', () => '/v2/a%20b/tags/list', 400, 'NAME_INVALID'],
  ['bad tag', 'PUT', () => '/v2/good/repo/manifests/.bad', 400, 'TAG_INVALID', { body: '{}', headers: OCI }],
  ['over-long tag on PUT', 'PUT', () => `/v2/good/repo/manifests/${'t'.repeat(129)}`, 400, 'TAG_INVALID', { body: '{}', headers: OCI }],
  ['invalid tag on GET: no such manifest', 'GET', () => '/v2/good/repo/manifests/.INVALID_MANIFEST_NAME', 404, 'MANIFEST_UNKNOWN'],
  ['bad digest in manifest PUT', 'PUT', () => '/v2/good/repo/manifests/sha256:baddigeststring', 400, 'DIGEST_INVALID', { body: '{}', headers: OCI }],
  ['unsupported algorithm', 'GET', () => '/v2/good/repo/blobs/md5:d41d8cd98f00b204e9800998ecf8427e', 400, 'DIGEST_INVALID'],
  ['bad blob digest', 'GET', () => '/v2/good/repo/blobs/sha256:zz', 400, 'DIGEST_INVALID'],
  ['path traversal digest', 'GET', () => '/v2/good/repo/blobs/sha256:..%2f..%2fetc', 400, 'DIGEST_INVALID'],
  ['upload PUT without digest', 'PUT', () => upload, 400, 'DIGEST_INVALID', { body: 'abc' }],
  ['monolithic POST with bad digest', 'POST', () => '/v2/good/repo/blobs/uploads/?digest=sha256:nope', 400, 'DIGEST_INVALID', { body: 'abc' }],
  ['monolithic POST with wrong digest', 'POST', () => `/v2/good/repo/blobs/uploads/?digest=${D}`, 400, 'DIGEST_INVALID', { body: 'not x' }],
  ['unknown upload id', 'PATCH', () => '/v2/good/repo/blobs/uploads/0f8fad5b-d9cb-469f-a165-70867728950e', 404, 'BLOB_UPLOAD_UNKNOWN', { body: 'x' }],
  ['traversal upload id', 'PATCH', () => '/v2/good/repo/blobs/uploads/..%2f..%2ftmp', 404, 'BLOB_UPLOAD_UNKNOWN', { body: 'x' }],
  ['malformed Content-Range', 'PATCH', () => upload, 416, 'RANGE_INVALID', { body: 'abc', headers: { 'Content-Range': 'bytes=a-b' } }],
  ['Content-Range not at the start', 'PATCH', () => upload, 416, 'RANGE_INVALID', { body: 'abc', headers: { 'Content-Range': '5-7' } }],
  ['Content-Length disagrees with range', 'PATCH', () => upload, 400, 'SIZE_INVALID', { body: 'abc', headers: { 'Content-Range': '0-9' } }],
  ['broken JSON manifest', 'PUT', () => '/v2/good/repo/manifests/v2', 400, 'MANIFEST_INVALID', { body: '{"schemaVersion": 2,', headers: OCI }],
  ['manifest over the limit', 'PUT', () => '/v2/good/repo/manifests/v2', 413, 'MANIFEST_INVALID', { body: 'x'.repeat(2000), headers: OCI }],
  ['manifest with missing blobs', 'PUT', () => '/v2/good/repo/manifests/v2', 400, 'MANIFEST_BLOB_UNKNOWN', {
    body: JSON.stringify({ schemaVersion: 2, mediaType: OCI['Content-Type'], config: { mediaType: 'a/b', digest: D, size: 1 }, layers: [] }),
    headers: OCI,
  }],
  ['manifest of unknown type', 'PUT', () => '/v2/good/repo/manifests/v2', 400, 'MANIFEST_INVALID', { body: '{"schemaVersion":2}', headers: { 'Content-Type': 'text/plain' } }],
  ['bad pagination n', 'GET', () => '/v2/good/repo/tags/list?n=-1', 400, 'PAGINATION_NUMBER_INVALID'],
  ['non-numeric n', 'GET', () => '/v2/_catalog?n=lots', 400, 'PAGINATION_NUMBER_INVALID'],
  ['method not allowed', 'POST', () => '/v2/good/repo/manifests/v1', 405, 'UNSUPPORTED'],
  ['unknown endpoint', 'GET', () => '/v2/good/repo/whatever', 404, 'NAME_UNKNOWN'],
  ['Content-Length not a number', 'PATCH', () => upload, 400, null, { body: 'abc', headers: { 'Content-Length': 'abc' } }],
];

describe.each(CASES)('%s: %s', (_name, method, path, status, code, opts) => {
  test(`→ ${status} ${code ?? ''}, and nothing is written`, async () => {
    const before = await reg.files();
    const uploadBefore = (await c.req('GET', upload)).headers.range;
    const r = await c.req(method, path(), opts as never);
    expect(r.status).toBe(status);
    if (code) expect(r.json().errors[0].code).toBe(code);
    expect(await reg.files()).toEqual(before);
    expect((await c.req('GET', upload)).headers.range).toBe(uploadBefore);
  });
});

test('the good content is still intact after all of that', async () => {
  expect((await c.req('GET', `/v2/good/repo/manifests/${digest}`)).status).toBe(200);
  expect((await c.req('GET', '/v2/good/repo/tags/list')).json().tags).toEqual(['v1']);
});

test('a body shorter than its Content-Length (client gone) leaves the upload as it was', async () => {
  const loc = await c.openUpload('good/repo');
  const { request } = await import('node:http');
  const u = new URL(reg.url);
  await new Promise<void>((resolve) => {
    const req = request({ host: u.hostname, port: u.port, method: 'PATCH', path: loc, headers: { 'Content-Length': '1000' } });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(500, 1));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 200);
  });
  await new Promise((r) => setTimeout(r, 200));
  const status = await c.req('GET', loc);
  expect(status.status).toBe(204);
  expect(status.headers.range).toBe('0-0');
});
