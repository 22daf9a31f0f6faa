/**
 * Blob uploads: open (POST, with monolithic and mount variants), status (GET), chunk (PATCH), close (PUT),
 * cancel (DELETE). Locations are relative and stable: `/v2/<name>/blobs/uploads/<id>`.
 */
import type { Request } from 'express';
import { RegistryError } from '../../errors.js';
import { formatDigest, parseDigest, requireDigest, type Digest } from '../../oci/digest.js';
import { isValidName } from '../../../shared/oci-names.js';
import { contentLength, hasBody } from '../body.js';
import { queryParam, sendEmpty, type Ctx, type Handler } from '../context.js';
import { parseContentRange, uploadRange } from '../ranges.js';
import type { Route } from '../routes.js';
import type { ChunkRange } from '../../storage/uploads.js';

type StartRoute = Extract<Route, { kind: 'uploadStart' }>;
type UploadRoute = Extract<Route, { kind: 'upload' }>;

function sessionHeaders(name: string, id: string, size: number): Record<string, string> {
  return { Location: `/v2/${name}/blobs/uploads/${id}`, Range: uploadRange(size), 'Docker-Upload-UUID': id };
}

function createdHeaders(name: string, digest: Digest): Record<string, string> {
  return { Location: `/v2/${name}/blobs/${formatDigest(digest)}`, 'Docker-Content-Digest': formatDigest(digest) };
}

/**
 * The chunk placement a request declares, and the session's size bound; SIZE_INVALID when Content-Range and
 * Content-Length disagree.
 */
function chunkRange(req: Request, maxSize: number | undefined, quota: Pick<ChunkRange, 'room' | 'admit'> = {}): ChunkRange {
  const length = contentLength(req);
  const header = req.headers['content-range'];
  if (header === undefined) return { length, maxSize, ...quota };
  const range = parseContentRange(header);
  if (!range) throw new RegistryError('RANGE_INVALID', `malformed Content-Range ${JSON.stringify(header.slice(0, 64))}`);
  const rangeLength = range.end - range.start + 1;
  if (length !== undefined && length !== rangeLength) {
    throw new RegistryError('SIZE_INVALID', `Content-Length ${length} does not match Content-Range ${header}`);
  }
  return { start: range.start, length: rangeLength, maxSize, ...quota };
}

/** The repository quota's part of a chunk (lifecycle/): room to stream into, and the check before commit. */
function quotaOf({ route, deps }: Ctx<StartRoute | UploadRoute>): Pick<ChunkRange, 'room' | 'admit'> {
  const room = deps.lifecycle?.uploadRoom(route.name);
  const admit = deps.lifecycle?.blobAdmission(route.name);
  return { ...(room ? { room } : {}), ...(admit ? { admit } : {}) };
}

/**
 * The repository a mount copies the blob from: `from`, when the caller may pull it and it holds the blob. Without
 * `from` nothing is searched (no automatic content discovery): a mount costs two `stat`s or none whatever the size
 * of the store, and its answer says nothing about blobs in repositories the caller did not name. Anything else
 * falls back to a normal upload (202), as the distribution spec allows.
 */
async function mountSource(ctx: Ctx<StartRoute>, digest: Digest, from: string | undefined): Promise<string | undefined> {
  if (from === undefined || !isValidName(from) || !ctx.mayPull(from)) return undefined;
  return (await ctx.deps.storage.blobs.size(from, digest)) !== undefined ? from : undefined;
}

/** Opens a session under the session caps of `limits`. */
function openSession({ route, deps, principal }: Ctx<StartRoute>): Promise<string> {
  return deps.storage.uploads.create(route.name, principal, deps.config.limits);
}

export const startUpload: Handler<StartRoute> = async (ctx) => {
  const { req, res, route, deps } = ctx;
  const mount = queryParam(req, 'mount');
  const mountDigest = mount === undefined ? undefined : parseDigest(mount);
  if (mountDigest && (await mountSource(ctx, mountDigest, queryParam(req, 'from')))) {
    await deps.lifecycle?.checkBlob(route.name, mountDigest);
    await deps.storage.blobs.link(route.name, mountDigest);
    sendEmpty(res, 201, createdHeaders(route.name, mountDigest));
    return;
  }
  const digestParam = mount === undefined ? queryParam(req, 'digest') : undefined;
  const digest = digestParam === undefined ? undefined : requireDigest(digestParam);
  deps.lifecycle?.checkUpload(route.name, digest ? contentLength(req) : undefined);
  const range = digest ? chunkRange(req, deps.config.limits.uploadMaxBytes, quotaOf(ctx)) : {};
  const id = await openSession(ctx);
  if (digest) {
    const result = await deps.storage.uploads.commit(route.name, id, digest, req, range);
    ctx.countIn(result.appended);
    deps.metrics.uploadDuration.observe((Date.now() - result.startedAt) / 1000);
    sendEmpty(res, 201, createdHeaders(route.name, digest));
    return;
  }
  sendEmpty(res, 202, sessionHeaders(route.name, id, 0));
};

export const uploadStatus: Handler<UploadRoute> = async ({ res, route, deps }) => {
  const size = await deps.storage.uploads.size(route.name, route.id);
  sendEmpty(res, 204, sessionHeaders(route.name, route.id, size));
};

export const patchUpload: Handler<UploadRoute> = async (ctx) => {
  const { req, res, route, deps } = ctx;
  const range = chunkRange(req, deps.config.limits.uploadMaxBytes, quotaOf(ctx));
  const { size, appended } = await deps.storage.uploads.append(route.name, route.id, req, range);
  ctx.countIn(appended);
  sendEmpty(res, 202, sessionHeaders(route.name, route.id, size));
};

export const putUpload: Handler<UploadRoute> = async (ctx) => {
  const { req, res, route, deps } = ctx;
  const digest = requireDigest(queryParam(req, 'digest'));
  const body = hasBody(req) ? req : undefined;
  const quota = quotaOf(ctx);
  const range = body ? chunkRange(req, deps.config.limits.uploadMaxBytes, quota) : quota;
  const result = await deps.storage.uploads.commit(route.name, route.id, digest, body, range);
  ctx.countIn(result.appended);
  deps.metrics.uploadDuration.observe((Date.now() - result.startedAt) / 1000);
  sendEmpty(res, 201, createdHeaders(route.name, digest));
};

export const cancelUpload: Handler<UploadRoute> = async ({ res, route, deps }) => {
  await deps.storage.uploads.cancel(route.name, route.id);
  sendEmpty(res, 204);
};
