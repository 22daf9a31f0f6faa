/** The list endpoints: tags, catalog and referrers, each paginated with `n`/`last` and a `Link` header. */
import { requireDigest } from '../../oci/digest.js';
import { MEDIA_TYPES } from '../../oci/media-types.js';
import { queryParam, sendJson, type Handler } from '../context.js';
import { LIMITS } from '../limits.js';
import { nextLink, paginate, parseN } from '../pagination.js';
import type { Route } from '../routes.js';

/** Referrers are listed at most this many to a page. */
export const REFERRERS_PAGE_SIZE = 500;

export const listTags: Handler<Extract<Route, { kind: 'tags' }>> = async ({ req, res, route, deps }) => {
  const tags = await deps.storage.manifests.tags(route.name);
  const page = paginate(tags, parseN(req.query.n), queryParam(req, 'last'), `/v2/${route.name}/tags/list`);
  if (page.link) res.setHeader('Link', page.link);
  sendJson(res, 200, { name: route.name, tags: page.items });
};

export const listCatalog: Handler<Extract<Route, { kind: 'catalog' }>> = async (ctx) => {
  const { req, res, deps } = ctx;
  const repos = (await deps.storage.catalog.repositories()).filter((r) => ctx.mayPull(r));
  const page = paginate(repos, parseN(req.query.n), queryParam(req, 'last'), '/v2/_catalog');
  if (page.link) res.setHeader('Link', page.link);
  sendJson(res, 200, { repositories: page.items });
};

/**
 * Referrers of a subject, `n` to a page (default {@link REFERRERS_PAGE_SIZE}) and at most
 * `limits.referrersPageMaxBytes` of descriptors (at least one), with a `Link` to the next page either way. The
 * store reads only what the page needs (storage/referrers.ts).
 */
export const listReferrers: Handler<Extract<Route, { kind: 'referrers' }>> = async ({ req, res, route, deps }) => {
  const subject = requireDigest(route.digest);
  const artifactType = queryParam(req, 'artifactType');
  if (artifactType !== undefined) res.setHeader('OCI-Filters-Applied', 'artifactType');
  const n = parseN(req.query.n) ?? REFERRERS_PAGE_SIZE;
  const page = await deps.storage.manifests.referrersPage(route.name, subject, {
    last: queryParam(req, 'last'),
    n,
    maxBytes: deps.config.limits.referrersPageMaxBytes,
    artifactType,
  });
  if (page.cutByBytes) deps.metrics.limitHits.inc({ limit: LIMITS.referrersPageBytes });
  if (page.next !== undefined) {
    const link = nextLink(`/v2/${route.name}/referrers/${route.digest}`, n, page.next);
    res.setHeader('Link', artifactType === undefined ? link : link.replace('>;', `&artifactType=${encodeURIComponent(artifactType)}>;`));
  }
  const body = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: page.manifests };
  sendJson(res, 200, body, MEDIA_TYPES.ociIndex);
};
