import { requiredAccess } from '../../../../src/registry/http/access.js';
import type { Route } from '../../../../src/registry/http/routes.js';

describe('requiredAccess', () => {
  const repo = (actions: string[]) => [{ type: 'repository', name: 'team/app', actions }];
  test.each<[string, Route, unknown]>([
    ['GET', { kind: 'base' }, []],
    ['GET', { kind: 'catalog' }, [{ type: 'registry', name: 'catalog', actions: ['*'] }]],
    ['GET', { kind: 'manifest', name: 'team/app', reference: 'v1' }, repo(['pull'])],
    ['HEAD', { kind: 'blob', name: 'team/app', digest: 'x' }, repo(['pull'])],
    ['PUT', { kind: 'manifest', name: 'team/app', reference: 'v1' }, repo(['pull', 'push'])],
    ['POST', { kind: 'uploadStart', name: 'team/app' }, repo(['pull', 'push'])],
    ['PATCH', { kind: 'upload', name: 'team/app', id: 'u' }, repo(['pull', 'push'])],
    ['GET', { kind: 'upload', name: 'team/app', id: 'u' }, repo(['pull'])],
    // cancelling an upload is part of pushing, not deleting
    ['DELETE', { kind: 'upload', name: 'team/app', id: 'u' }, repo(['pull', 'push'])],
    ['DELETE', { kind: 'manifest', name: 'team/app', reference: 'v1' }, repo(['delete'])],
    ['DELETE', { kind: 'blob', name: 'team/app', digest: 'x' }, repo(['delete'])],
    ['GET', { kind: 'tags', name: 'team/app' }, repo(['pull'])],
    ['GET', { kind: 'referrers', name: 'team/app', digest: 'x' }, repo(['pull'])],
  ])('%s %j', (method, route, expected) => {
    expect(requiredAccess(route, method)).toEqual(expected);
  });
});
