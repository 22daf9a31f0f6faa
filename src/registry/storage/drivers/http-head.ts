/**
 * A small, strict reader of an HTTP/1.x response head, for the S3 driver's socket GET (s3-socket-get.ts): the
 * status, Content-Length and Content-Range, and whether the body can be taken as exactly Content-Length bytes.
 * Anything it does not fully understand (chunked or other transfer codings, repeated or malformed lengths, an
 * oversized head) makes the response unusable, and the caller falls back to the SDK, which reads any framing.
 */
import type { ByteRange } from '../driver.js';

/** The longest response head accepted (S3's are well under 2 KiB). */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface ResponseHead {
  status: number;
  /** Content-Length, when sent once (or repeated with one value). */
  contentLength?: number;
  /** Content-Range `bytes start-end/total` (total may be `*`, kept as undefined). */
  contentRange?: { start: number; end: number; total?: number };
  /** Transfer-Encoding was sent: the body's framing is not Content-Length. */
  transferEncoding: boolean;
  /** Bytes of the head, the blank line included; the body starts there. */
  headBytes: number;
}

export type HeadResult = { kind: 'head'; head: ResponseHead } | { kind: 'incomplete' } | { kind: 'unusable'; reason: string };

const END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.[01] ([1-5]\d\d)(?: [^\r\n]*)?$/;
const DECIMAL = /^\d{1,15}$/;
const CONTENT_RANGE = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/;

/** Parses the head at the start of `bytes` (everything received so far). */
export function parseResponseHead(bytes: Buffer): HeadResult {
  const end = bytes.indexOf(END);
  if (end < 0) return bytes.length >= MAX_HEAD_BYTES ? unusable('response head too long') : { kind: 'incomplete' };
  if (end + END.length > MAX_HEAD_BYTES) return unusable('response head too long');
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) return unusable(`bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const head: ResponseHead = { status: Number(status[1]), transferEncoding: false, headBytes: end + END.length };
  let contentRange: string | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\s]/.test(line[0]!)) return unusable('malformed header line');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') head.transferEncoding = true;
    else if (name === 'content-length') {
      if (!DECIMAL.test(value)) return unusable('bad Content-Length');
      const n = Number(value);
      if (head.contentLength !== undefined && head.contentLength !== n) return unusable('conflicting Content-Length');
      head.contentLength = n;
    } else if (name === 'content-range') {
      if (contentRange !== undefined && contentRange !== value) return unusable('conflicting Content-Range');
      contentRange = value;
    }
  }
  if (contentRange !== undefined) {
    const m = CONTENT_RANGE.exec(contentRange);
    if (!m) return unusable('bad Content-Range');
    head.contentRange = { start: Number(m[1]), end: Number(m[2]), ...(m[3] === '*' ? {} : { total: Number(m[3]) }) };
  }
  return { kind: 'head', head };
}

/**
 * Why a response to `GET` with `Range: bytes=start-end` cannot be streamed as exactly that range, or undefined when
 * it can: a 206 whose Content-Range and Content-Length are the range, or a 200 of exactly the range from byte 0
 * (a server that ignores Range for a whole object).
 */
export function rangeMismatch(head: ResponseHead, range: ByteRange): string | undefined {
  const length = range.end - range.start + 1;
  if (head.transferEncoding) return 'Transfer-Encoding is set';
  if (head.contentLength !== length) return `Content-Length ${head.contentLength ?? 'missing'}, expected ${length}`;
  if (head.status === 200) return range.start === 0 ? undefined : 'status 200 for a range not from 0';
  if (head.status !== 206) return `status ${head.status}`;
  const cr = head.contentRange;
  if (!cr || cr.start !== range.start || cr.end !== range.end) return 'Content-Range does not match the range';
  return undefined;
}

function unusable(reason: string): HeadResult {
  return { kind: 'unusable', reason };
}
