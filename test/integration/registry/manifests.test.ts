/** Pushing and deleting manifests: validation, references, subject/referrers, tags, catalog. */
import { Client, sha256, startTestRegistry, type TestRegistry } from '../../helpers/registry-app.js';

let reg: TestRegistry;
let c: Client;
beforeAll(async () => {
  reg = await startTestRegistry((cfg) => ({ ...cfg, limits: { ...cfg.limits, manifestMaxBytes: 64 * 1024 } }));
  c = new Client(reg.url);
});
afterAll(() => reg.close());

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const put = (repo: string, ref: string, body: string | object, type = OCI) =>
  c.req('PUT', `/v2/${repo}/manifests/${ref}`, {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': type },
  });

describe('manifest push', () => {
  test('by digest: the reference must match the bytes (400 DIGEST_INVALID otherwise)', async () => {
    const img = await c.pushImage('mf/a', 'tmp');
    expect((await put('mf/a', img.digest, img.manifest)).status).toBe(201);
    const bad = await put('mf/a', sha256('something else'), img.manifest);
    expect(bad.status).toBe(400);
    expect(bad.json().errors[0].code).toBe('DIGEST_INVALID');
    expect((await put('mf/a', 'sha256:baddigeststring', img.manifest)).status).toBe(400);
  });

  test('missing blobs → 400 MANIFEST_BLOB_UNKNOWN, one error per missing digest, nothing tagged', async () => {
    const m = {
      schemaVersion: 2,
      mediaType: OCI,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('no config'), size: 9 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('no layer'), size: 8 }],
    };
    const r = await put('mf/missing', 'v1', m);
    expect(r.status).toBe(400);
    expect(r.json().errors.map((e: { code: string; detail: { digest: string } }) => [e.code, e.detail.digest])).toEqual([
      ['MANIFEST_BLOB_UNKNOWN', sha256('no config')],
      ['MANIFEST_BLOB_UNKNOWN', sha256('no layer')],
    ]);
    expect((await c.req('GET', '/v2/mf/missing/manifests/v1')).status).toBe(404);
  });

  test('an index needs its children in the repository', async () => {
    const img = await c.pushImage('mf/idx', 'child');
    const index = (digest: string) => ({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: [{ mediaType: OCI, digest, size: img.size, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    expect((await put('mf/idx', 'multi', index(img.digest), INDEX)).status).toBe(201);
    const r = await put('mf/idx', 'broken', index(sha256('not a manifest')), INDEX);
    expect(r.status).toBe(400);
    expect(r.json().errors[0].code).toBe('MANIFEST_BLOB_UNKNOWN');
    const got = await c.req('GET', '/v2/mf/idx/manifests/multi');
    expect(got.headers['content-type']).toBe(INDEX);
  });

  test('Docker schema 2 manifest and manifest list keep their media types', async () => {
    const img = await c.pushImage('mf/docker', 'base');
    const m = JSON.parse(img.manifest);
    m.mediaType = 'application/vnd.docker.distribution.manifest.v2+json';
    m.config.mediaType = 'application/vnd.docker.container.image.v1+json';
    expect((await put('mf/docker', 'd2', m, m.mediaType)).status).toBe(201);
    const r = await c.req('HEAD', '/v2/mf/docker/manifests/d2');
    expect(r.headers['content-type']).toBe('application/vnd.docker.distribution.manifest.v2+json');
  });

  test('schema 1 is refused with a clear message', async () => {
    const r = await put('mf/s1', 'v1', { schemaVersion: 1, name: 'x', tag: 'v1', fsLayers: [] },
      'application/vnd.docker.distribution.manifest.v1+prettyjws');
    expect(r.status).toBe(400);
    expect(r.json().errors[0]).toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringMatching(/schema 1/) });
  });

  test('over the size limit → 413 before reading the body', async () => {
    const r = await put('mf/big', 'v1', 'x'.repeat(64 * 1024 + 1));
    expect(r.status).toBe(413);
    expect(r.json().errors[0].code).toBe('MANIFEST_INVALID');
  });

  test('an over-limit chunked body → 413', async () => {
    const r = await c.req('PUT', '/v2/mf/big/manifests/v1', {
      body: 'x'.repeat(70 * 1024),
      chunked: true,
      headers: { 'Content-Type': OCI },
    });
    expect(r.status).toBe(413);
  });

  test('PUT by digest with ?tag= sets those tags too (OCI-Tag)', async () => {
    const img = await c.pushImage('mf/tagparam', 'first');
    const r = await c.req('PUT', `/v2/mf/tagparam/manifests/${img.digest}?tag=a&tag=b`, {
      body: img.manifest,
      headers: { 'Content-Type': OCI },
    });
    expect(r.status).toBe(201);
    expect(r.headers['oci-tag']).toBe('a, b');
    expect((await c.req('GET', '/v2/mf/tagparam/tags/list')).json().tags).toEqual(['a', 'b', 'first']);
  });
});

describe('subject and referrers', () => {
  test('a manifest with subject gets OCI-Subject; referrers lists it with artifactType and annotations', async () => {
    const subject = await c.pushImage('ref/a', 'v1');
    const empty = await c.pushBlob('ref/a', '{}');
    const artifact = (type: string, n: number) => ({
      schemaVersion: 2,
      mediaType: OCI,
      artifactType: type,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
      layers: [],
      subject: { mediaType: OCI, digest: subject.digest, size: subject.size },
      annotations: { n: String(n) },
    });
    const sig = JSON.stringify(artifact('application/vnd.example.sig', 1));
    const sbom = JSON.stringify(artifact('application/vnd.example.sbom', 2));
    const r1 = await put('ref/a', sha256(sig), sig);
    expect(r1.headers['oci-subject']).toBe(subject.digest);
    await put('ref/a', sha256(sbom), sbom);
    const list = await c.req('GET', `/v2/ref/a/referrers/${subject.digest}`);
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toBe(INDEX);
    const idx = list.json();
    expect(idx.mediaType).toBe(INDEX);
    expect(idx.manifests).toHaveLength(2);
    expect(idx.manifests).toContainEqual({
      mediaType: OCI,
      digest: sha256(sig),
      size: Buffer.byteLength(sig),
      artifactType: 'application/vnd.example.sig',
      annotations: { n: '1' },
    });
    const filtered = await c.req('GET', `/v2/ref/a/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
    expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
    expect(filtered.json().manifests.map((m: { digest: string }) => m.digest)).toEqual([sha256(sbom)]);
    const page = await c.req('GET', `/v2/ref/a/referrers/${subject.digest}?n=1`);
    expect(page.json().manifests).toHaveLength(1);
    expect(page.headers.link).toMatch(/^<\/v2\/ref\/a\/referrers\/sha256:[0-9a-f]{64}\?n=1&last=sha256%3A[0-9a-f]{64}>; rel="next"$/);
    // deleting a referrer removes it from the list
    expect((await c.req('DELETE', `/v2/ref/a/manifests/${sha256(sig)}`)).status).toBe(202);
    const after = await c.req('GET', `/v2/ref/a/referrers/${subject.digest}`);
    expect(after.json().manifests.map((m: { digest: string }) => m.digest)).toEqual([sha256(sbom)]);
  });

  test('a subject that does not exist is accepted', async () => {
    const empty = await c.pushBlob('ref/b', '{}');
    const m = {
      schemaVersion: 2,
      mediaType: OCI,
      artifactType: 'application/x',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
      layers: [],
      subject: { mediaType: OCI, digest: sha256('missing subject'), size: 10 },
    };
    const r = await put('ref/b', 'dangling', m);
    expect(r.status).toBe(201);
    expect(r.headers['oci-subject']).toBe(sha256('missing subject'));
  });

  test('referrers of an unknown digest, even in an unknown repository → 200 and an empty index', async () => {
    const r = await c.req('GET', `/v2/never/pushed/referrers/${sha256('x')}`);
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ schemaVersion: 2, mediaType: INDEX, manifests: [] });
  });

  test('referrers with a malformed digest → 400', async () => {
    expect((await c.req('GET', '/v2/ref/a/referrers/sha256:nope')).status).toBe(400);
  });
});

describe('tags and catalog', () => {
  beforeAll(async () => {
    for (const t of ['b', 'a', 'C', 'c', '1']) await c.pushImage('list/tags', t, 'same layer');
  });

  test('tags are listed in byte order', async () => {
    expect((await c.req('GET', '/v2/list/tags/tags/list')).json()).toEqual({
      name: 'list/tags',
      tags: ['1', 'C', 'a', 'b', 'c'],
    });
  });

  test('n and last paginate, with a Link to the next page', async () => {
    const p1 = await c.req('GET', '/v2/list/tags/tags/list?n=2');
    expect(p1.json().tags).toEqual(['1', 'C']);
    expect(p1.headers.link).toBe('</v2/list/tags/tags/list?n=2&last=C>; rel="next"');
    const p2 = await c.req('GET', '/v2/list/tags/tags/list?n=2&last=C');
    expect(p2.json().tags).toEqual(['a', 'b']);
    const p3 = await c.req('GET', '/v2/list/tags/tags/list?n=2&last=b');
    expect(p3.json().tags).toEqual(['c']);
    expect(p3.headers.link).toBeUndefined();
    expect((await c.req('GET', '/v2/list/tags/tags/list?n=0')).json().tags).toEqual([]);
  });

  test('tags of an unknown repository → 404 NAME_UNKNOWN', async () => {
    const r = await c.req('GET', '/v2/list/none/tags/list');
    expect(r.status).toBe(404);
    expect(r.json().errors[0].code).toBe('NAME_UNKNOWN');
  });

  test('catalog lists repositories in byte order, with n/last', async () => {
    const all = (await c.req('GET', '/v2/_catalog')).json().repositories as string[];
    expect(all).toContain('list/tags');
    expect([...all].sort()).toEqual(all);
    const p = await c.req('GET', '/v2/_catalog?n=1');
    expect(p.json().repositories).toEqual([all[0]]);
    expect(p.headers.link).toBe(`</v2/_catalog?n=1&last=${encodeURIComponent(all[0]!)}>; rel="next"`);
  });
});

describe('deleting', () => {
  test('by tag removes only the tag', async () => {
    const img = await c.pushImage('del/a', 'one');
    await put('del/a', 'two', img.manifest);
    expect((await c.req('DELETE', '/v2/del/a/manifests/one')).status).toBe(202);
    expect((await c.req('GET', '/v2/del/a/manifests/one')).status).toBe(404);
    expect((await c.req('GET', `/v2/del/a/manifests/${img.digest}`)).status).toBe(200);
    expect((await c.req('GET', '/v2/del/a/tags/list')).json().tags).toEqual(['two']);
    expect((await c.req('DELETE', '/v2/del/a/manifests/one')).status).toBe(404);
  });

  test('by digest removes the manifest and every tag pointing to it', async () => {
    const img = await c.pushImage('del/b', 'x');
    await put('del/b', 'y', img.manifest);
    const other = await c.pushImage('del/b', 'z', 'another layer');
    expect((await c.req('DELETE', `/v2/del/b/manifests/${img.digest}`)).status).toBe(202);
    expect((await c.req('GET', `/v2/del/b/manifests/${img.digest}`)).status).toBe(404);
    expect((await c.req('GET', '/v2/del/b/tags/list')).json().tags).toEqual(['z']);
    expect((await c.req('GET', `/v2/del/b/manifests/${other.digest}`)).status).toBe(200);
  });

  test('a blob: 202, then 404; other repositories keep it', async () => {
    const d = await c.pushBlob('del/c', 'shared blob');
    await c.pushBlob('del/d', 'shared blob');
    expect((await c.req('DELETE', `/v2/del/c/blobs/${d}`)).status).toBe(202);
    expect((await c.req('GET', `/v2/del/c/blobs/${d}`)).status).toBe(404);
    expect((await c.req('GET', `/v2/del/d/blobs/${d}`)).status).toBe(200);
    expect((await c.req('DELETE', `/v2/del/c/blobs/${d}`)).status).toBe(404);
  });
});
