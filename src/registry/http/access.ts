/**
 * What a route needs, as a pure function: the access items a token must carry. As in Distribution, GET/HEAD need
 * `pull`; POST/PUT/PATCH need `pull,push`; DELETE of manifests and blobs needs `delete`; cancelling an upload
 * needs `push` (not `delete`); `/v2/` needs any valid caller; `_catalog` needs `registry:catalog:*`.
 */
import type { AccessItem } from '../auth/types.js';
import type { Route } from './routes.js';

const repository = (name: string, actions: string[]): AccessItem[] => [{ type: 'repository', name, actions }];

/** GET/HEAD read, DELETE deletes, everything else writes. */
const readOrWrite = (method: string, onDelete: string[]): string[] =>
  method === 'GET' || method === 'HEAD' ? ['pull'] : method === 'DELETE' ? onDelete : ['pull', 'push'];

/** Exhaustive over route kinds: a new kind does not compile until it states its access here. */
export function requiredAccess(route: Route, method: string): AccessItem[] {
  switch (route.kind) {
    case 'base':
      return [];
    case 'catalog':
      return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    case 'tags':
    case 'referrers':
    case 'uploadStart':
    case 'manifest':
    case 'blob':
      return repository(route.name, readOrWrite(method, ['delete']));
    case 'upload':
      // cancelling an upload is part of pushing (Distribution's `delete` here is a known bug)
      return repository(route.name, readOrWrite(method, ['pull', 'push']));
    default:
      return unreachable(route);
  }
}

function unreachable(route: never): never {
  throw new Error(`no access stated for route ${JSON.stringify(route)}`);
}
