/** Manifest GET/HEAD, PUT and DELETE. */
import type { Request } from 'express';
import { RegistryError } from '../../errors.js';
import { formatDigest } from '../../oci/digest.js';
import { isValidTag } from '../../../shared/oci-names.js';
import { parseReference, type Reference } from '../../oci/names.js';
import { readSmallBody } from '../body.js';
import { queryParams, sendEmpty, type Handler } from '../context.js';
import type { Route } from '../routes.js';

type ManifestRoute = Extract<Route, { kind: 'manifest' }>;

/**
 * Parses a manifest reference: DIGEST_INVALID for a bad digest; for a bad tag, TAG_INVALID when pushing and
 * MANIFEST_UNKNOWN when reading or deleting (no manifest can have that name, as the conformance suite expects).
 */
export function requireReference(text: string, method: string): Reference {
  const ref = parseReference(text);
  if (ref) return ref;
  if (text.includes(':')) {
    throw new RegistryError('DIGEST_INVALID', 'invalid digest or unsupported algorithm', { digest: text.slice(0, 200) });
  }
  if (method !== 'PUT') throw new RegistryError('MANIFEST_UNKNOWN', undefined, { tag: text.slice(0, 200) });
  throw new RegistryError('TAG_INVALID', 'invalid tag', { tag: text.slice(0, 200) });
}

function ifNoneMatch(req: Request, etag: string): boolean {
  const header = req.headers['if-none-match'];
  return header !== undefined && header.split(',').some((t) => t.trim() === etag || t.trim() === '*');
}

export const getManifest: Handler<ManifestRoute> = async ({ req, res, route, deps }) => {
  const ref = requireReference(route.reference, req.method);
  const manifest = await deps.storage.manifests.get(route.name, ref);
  const digest = formatDigest(manifest.digest);
  const etag = `"${digest}"`;
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('ETag', etag);
  if (ifNoneMatch(req, etag)) {
    res.status(304).end();
    return;
  }
  res.status(200);
  res.setHeader('Content-Type', manifest.mediaType);
  res.setHeader('Content-Length', String(manifest.bytes.length));
  res.end(req.method === 'HEAD' ? undefined : manifest.bytes);
};

export const putManifest: Handler<ManifestRoute> = async (ctx) => {
  const { req, res, route, deps } = ctx;
  const ref = requireReference(route.reference, req.method);
  const extraTags = queryParams(req, 'tag');
  const bad = extraTags.find((t) => !isValidTag(t));
  if (bad !== undefined) throw new RegistryError('TAG_INVALID', 'invalid tag', { tag: bad.slice(0, 200) });
  const bytes = await readSmallBody(req, deps.config.limits.manifestMaxBytes);
  ctx.countIn(bytes.length);
  const guards = deps.lifecycle?.manifestGuards(route.name) ?? {};
  const result = await deps.storage.manifests
    .put(route.name, ref, bytes, req.headers['content-type'], extraTags, guards)
    .catch((err: unknown) => Promise.reject(deps.lifecycle?.noteRefusal(err) ?? err));
  await deps.lifecycle?.manifestPushed(route.name, result.digest, bytes, result.manifest, result.tags);
  const digest = formatDigest(result.digest);
  const headers: Record<string, string> = {
    Location: `/v2/${route.name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
  };
  if (result.subject) headers['OCI-Subject'] = formatDigest(result.subject);
  if (extraTags.length > 0) headers['OCI-Tag'] = extraTags.join(', ');
  sendEmpty(res, 201, headers);
};

export const deleteManifest: Handler<ManifestRoute> = async ({ req, res, route, deps }) => {
  const ref = requireReference(route.reference, req.method);
  const deleted = await deps.storage.manifests
    .delete(route.name, ref, deps.lifecycle?.immutable(route.name))
    .catch((err: unknown) => Promise.reject(deps.lifecycle?.noteRefusal(err) ?? err));
  if (deleted.digest) deps.lifecycle?.manifestDeleted(route.name, deleted.digest, deleted.tags);
  else if (ref.kind === 'tag') deps.lifecycle?.tagDeleted(route.name, ref.tag);
  sendEmpty(res, 202);
};
