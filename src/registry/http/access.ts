/**
 * What a route needs, as a pure function: the access items a token must carry. As in Distribution, GET/HEAD need
 * `pull`; POST/PUT/PATCH need `pull,push`; DELETE of manifests and blobs needs `delete`; cancelling an upload
 * needs `push` (not `delete`); `/v2/` needs any valid caller; `_catalog` needs `registry:catalog:*`.
 */
import type { AccessItem } from '../auth/types.js';
import type { Route } from './routes.js';

export function requiredAccess(route: Route, method: string): AccessItem[] {
  switch (route.kind) {
    case 'base':
      return [];
    case 'catalog':
      return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    default: {
      const actions =
        method === 'GET' || method === 'HEAD'
          ? ['pull']
          : method === 'DELETE' && route.kind !== 'upload'
            ? ['delete']
            : ['pull', 'push'];
      return [{ type: 'repository', name: route.name, actions }];
    }
  }
}
