/** Blob GET/HEAD (with Range) and DELETE. */
import { RegistryError } from '../../errors.js';
import { formatDigest, requireDigest } from '../../oci/digest.js';
import { sendEmpty, type Handler } from '../context.js';
import { parseRangeHeader } from '../ranges.js';
import type { Route } from '../routes.js';

type BlobRoute = Extract<Route, { kind: 'blob' }>;

export const getBlob: Handler<BlobRoute> = async ({ req, res, route, deps }) => {
  const digest = requireDigest(route.digest);
  const size = await deps.storage.blobs.requireSize(route.name, digest);
  const range = parseRangeHeader(req.method === 'GET' ? req.headers.range : undefined, size);
  res.setHeader('Docker-Content-Digest', formatDigest(digest));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', `"${formatDigest(digest)}"`);
  res.setHeader('Cache-Control', 'max-age=31536000');
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    throw new RegistryError('RANGE_INVALID', 'requested range not satisfiable', { size });
  }
  const redirect = req.method === 'GET' && size > 0 ? await deps.storage.blobs.redirect(digest) : undefined;
  if (redirect) {
    // the client fetches the bytes (and its Range) from the object store; HEAD is still answered here
    res.status(307).setHeader('Location', redirect);
    res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/octet-stream');
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
  if (range.kind === 'partial') {
    res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  } else {
    res.status(200);
  }
  res.setHeader('Content-Length', String(end - start + 1));
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await deps.storage.blobs.send(digest, { start, end }, res);
};

export const deleteBlob: Handler<BlobRoute> = async ({ res, route, deps }) => {
  const digest = requireDigest(route.digest);
  await deps.storage.blobs.unlink(route.name, digest);
  sendEmpty(res, 202);
};
