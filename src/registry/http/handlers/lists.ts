/** The list endpoints: tags, catalog and referrers, each paginated with `n`/`last` and a `Link` header. */
import { requireDigest } from '../../oci/digest.js';
import { MEDIA_TYPES } from '../../oci/media-types.js';
import { queryParam, sendJson, type Handler } from '../context.js';
import { LIMITS } from '../limits.js';
import { fitByBytes, nextLink, paginate, parseN } from '../pagination.js';
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
 * `limits.referrersPageMaxBytes` of descriptors (at least one), with a `Link` to the next page either way.
 */
export const listReferrers: Handler<Extract<Route, { kind: 'referrers' }>> = async ({ req, res, route, deps }) => {
  const subject = requireDigest(route.digest);
  const artifactType = queryParam(req, 'artifactType');
  let all = await deps.storage.manifests.referrers(route.name, subject);
  if (artifactType !== undefined) {
    all = all.filter((d) => d.artifactType === artifactType);
    res.setHeader('OCI-Filters-Applied', 'artifactType');
  }
  const byDigest = new Map(all.map((d) => [d.digest, d]));
  const n = parseN(req.query.n) ?? REFERRERS_PAGE_SIZE;
  const path = `/v2/${route.name}/referrers/${route.digest}`;
  const page = paginate([...byDigest.keys()], n, queryParam(req, 'last'), path);
  const sizeOf = (d: string): number => Buffer.byteLength(JSON.stringify(byDigest.get(d))) + 1;
  const fit = fitByBytes(page.items, sizeOf, deps.config.limits.referrersPageMaxBytes);
  let link = page.link;
  if (fit < page.items.length) {
    deps.metrics.limitHits.inc({ limit: LIMITS.referrersPageBytes });
    link = nextLink(path, n, page.items[fit - 1]!);
  }
  if (link) {
    res.setHeader('Link', artifactType === undefined ? link : link.replace('>;', `&artifactType=${encodeURIComponent(artifactType)}>;`));
  }
  const manifests = page.items.slice(0, fit).map((d) => byDigest.get(d)!);
  sendJson(res, 200, { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }, MEDIA_TYPES.ociIndex);
};
