/**
 * Routing as a pure function: a method and a raw (undecoded) path become a typed route. Repository names contain
 * `/`, so routes are matched on their suffix and everything between `/v2/` and the suffix is the name. Names are
 * never percent-decoded, so `%2e%2e` can never become `..`.
 */
export const ROUTE_KINDS = [
  'base',
  'catalog',
  'tags',
  'manifest',
  'blob',
  'uploadStart',
  'upload',
  'referrers',
] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploadStart'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string };

export type RouteMatch =
  | { ok: true; route: Route }
  | { ok: false; status: 404 | 405; allowed?: string[]; kind?: RouteKind };

/**
 * The one route table of methods: which methods each route kind answers. The handler table in `dispatch.ts` is
 * typed from it (a handler for every method listed here and for no other), so the two cannot disagree.
 */
export const METHODS = {
  base: ['GET', 'HEAD'],
  catalog: ['GET'],
  tags: ['GET'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  uploadStart: ['POST'],
  upload: ['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE'],
  referrers: ['GET'],
} as const satisfies Record<RouteKind, readonly string[]>;

/** The methods a route kind answers, as a union type. */
export type MethodOf<K extends RouteKind> = (typeof METHODS)[K][number];

/** The route of one kind. */
export type RouteOf<K extends RouteKind> = Extract<Route, { kind: K }>;

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploadStart', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
];

/** Matches a request; `path` is the URL path without the query string. */
export function matchRoute(method: string, path: string): RouteMatch {
  for (const [re, build] of PATTERNS) {
    const m = re.exec(path);
    if (!m) continue;
    const route = build(m);
    const allowed: readonly string[] = METHODS[route.kind];
    if (!allowed.includes(method)) return { ok: false, status: 405, allowed: [...allowed], kind: route.kind };
    return { ok: true, route };
  }
  return { ok: false, status: 404 };
}

/** The repository a route is about, if any. */
export function routeName(route: Route): string | undefined {
  return 'name' in route ? route.name : undefined;
}
