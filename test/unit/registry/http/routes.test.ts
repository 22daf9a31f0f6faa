import { matchRoute } from '../../../../src/registry/http/routes.js';

describe('matchRoute', () => {
  const D = 'sha256:' + 'a'.repeat(64);
  test.each([
    ['GET', '/v2/', { kind: 'base' }],
    ['GET', '/v2', { kind: 'base' }],
    ['GET', '/v2/_catalog', { kind: 'catalog' }],
    ['GET', '/v2/team/app/tags/list', { kind: 'tags', name: 'team/app' }],
    ['GET', '/v2/a/manifests/latest', { kind: 'manifest', name: 'a', reference: 'latest' }],
    ['PUT', `/v2/a/b/c/manifests/${D}`, { kind: 'manifest', name: 'a/b/c', reference: D }],
    ['HEAD', `/v2/a/blobs/${D}`, { kind: 'blob', name: 'a', digest: D }],
    ['POST', '/v2/a/blobs/uploads/', { kind: 'uploadStart', name: 'a' }],
    ['POST', '/v2/a/blobs/uploads', { kind: 'uploadStart', name: 'a' }],
    ['PATCH', '/v2/x/y/blobs/uploads/123', { kind: 'upload', name: 'x/y', id: '123' }],
    ['GET', `/v2/a/referrers/${D}`, { kind: 'referrers', name: 'a', digest: D }],
    // a repository may be called "blobs" or "manifests": the suffix decides
    ['GET', '/v2/blobs/manifests/tags/list', { kind: 'tags', name: 'blobs/manifests' }],
    ['GET', '/v2/manifests/manifests/v1', { kind: 'manifest', name: 'manifests', reference: 'v1' }],
  ])('%s %s', (method, path, route) => {
    expect(matchRoute(method, path)).toEqual({ ok: true, route });
  });

  test.each([
    ['GET', '/v3/', 404],
    ['GET', '/v2/a/unknown/thing', 404],
    ['GET', '/v2/a/blobs/uploads/1/extra', 404],
    ['POST', '/v2/a/manifests/latest', 405],
    ['PUT', '/v2/_catalog', 405],
    ['DELETE', '/v2/a/tags/list', 405],
    ['PATCH', '/v2/', 405],
  ])('%s %s → %d', (method, path, status) => {
    const m = matchRoute(method, path);
    expect(m.ok).toBe(false);
    expect(!m.ok && m.status).toBe(status);
  });
});
