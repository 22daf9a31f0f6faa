/** Request bodies: whether one was sent, and reading a small one (manifests) with a hard cap. */
import type { Request } from 'express';
import { RegistryError } from '../errors.js';

/** Whether the request carries a body (a non-zero Content-Length, or chunked transfer encoding). */
export function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** The declared Content-Length, or undefined (chunked); SIZE_INVALID when malformed. */
export function contentLength(req: Request): number | undefined {
  const len = req.headers['content-length'];
  if (len === undefined) return undefined;
  if (!/^\d{1,15}$/.test(len)) throw new RegistryError('SIZE_INVALID', 'Content-Length is not a number');
  return Number(len);
}

/** Reads a whole body of at most `limit` bytes; MANIFEST_TOO_LARGE (413) beyond it, before reading when declared. */
export async function readSmallBody(req: Request, limit: number): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) {
    throw new RegistryError('MANIFEST_TOO_LARGE', `manifest is larger than ${limit} bytes`, { limit });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new RegistryError('MANIFEST_TOO_LARGE', `manifest is larger than ${limit} bytes`, { limit });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
