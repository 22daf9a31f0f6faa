/** The strict response-head reader of the S3 driver's socket GET, and when its response is exactly the range asked for. */
import { MAX_HEAD_BYTES, parseResponseHead, rangeMismatch, type ResponseHead } from '../../../../src/registry/storage/drivers/http-head.js';

const CRLF = '\r\n';
/** In a wanted head: the head is all of the input. */
const WHOLE = -1;
const raw = (...lines: string[]): Buffer => Buffer.from(lines.join(CRLF) + CRLF + CRLF);

test.each<{ name: string; bytes: Buffer; want: ReturnType<typeof parseResponseHead> }>([
  {
    name: 'a 206 with length and range',
    bytes: raw('HTTP/1.1 206 Partial Content', 'Content-Length: 10', 'Content-Range: bytes 5-14/100', 'ETag: "x"'),
    want: {
      kind: 'head',
      head: { status: 206, contentLength: 10, contentRange: { start: 5, end: 14, total: 100 }, transferEncoding: false, headBytes: WHOLE },
    },
  },
  {
    name: 'a 200, header names in any case, no reason phrase',
    bytes: raw('HTTP/1.0 200', 'content-LENGTH:   7  '),
    want: { kind: 'head', head: { status: 200, contentLength: 7, transferEncoding: false, headBytes: WHOLE } },
  },
  {
    name: 'an unknown total',
    bytes: raw('HTTP/1.1 206 OK', 'Content-Range: bytes 0-0/*', 'Content-Length: 1'),
    want: { kind: 'head', head: { status: 206, contentLength: 1, contentRange: { start: 0, end: 0 }, transferEncoding: false, headBytes: WHOLE } },
  },
  {
    name: 'a repeated equal length',
    bytes: raw('HTTP/1.1 200 OK', 'Content-Length: 3', 'Content-Length: 3'),
    want: { kind: 'head', head: { status: 200, contentLength: 3, transferEncoding: false, headBytes: WHOLE } },
  },
  {
    name: 'chunked is reported',
    bytes: raw('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'),
    want: { kind: 'head', head: { status: 200, transferEncoding: true, headBytes: WHOLE } },
  },
  { name: 'no blank line yet', bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n'), want: { kind: 'incomplete' } },
  { name: 'nothing yet', bytes: Buffer.alloc(0), want: { kind: 'incomplete' } },
  { name: 'a head too long', bytes: Buffer.alloc(MAX_HEAD_BYTES, 'a'), want: { kind: 'unusable', reason: 'response head too long' } },
  {
    name: 'a complete head over the limit',
    bytes: raw('HTTP/1.1 200 OK', `X: ${'a'.repeat(MAX_HEAD_BYTES)}`),
    want: { kind: 'unusable', reason: 'response head too long' },
  },
  { name: 'HTTP/2 status line', bytes: raw('HTTP/2 200'), want: { kind: 'unusable', reason: 'bad status line "HTTP/2 200"' } },
  { name: 'a bare LF head', bytes: Buffer.from('HTTP/1.1 200 OK\nContent-Length: 1\r\n\r\n'), want: { kind: 'unusable', reason: expect.stringContaining('bad status line') as string } },
  { name: 'conflicting lengths', bytes: raw('HTTP/1.1 200 OK', 'Content-Length: 3', 'Content-Length: 4'), want: { kind: 'unusable', reason: 'conflicting Content-Length' } },
  { name: 'a signed length', bytes: raw('HTTP/1.1 200 OK', 'Content-Length: +3'), want: { kind: 'unusable', reason: 'bad Content-Length' } },
  { name: 'a list of lengths', bytes: raw('HTTP/1.1 200 OK', 'Content-Length: 3, 3'), want: { kind: 'unusable', reason: 'bad Content-Length' } },
  { name: 'an empty length', bytes: raw('HTTP/1.1 200 OK', 'Content-Length:'), want: { kind: 'unusable', reason: 'bad Content-Length' } },
  { name: 'a folded header line', bytes: raw('HTTP/1.1 200 OK', 'X: a', ' b'), want: { kind: 'unusable', reason: 'malformed header line' } },
  { name: 'a line with no colon', bytes: raw('HTTP/1.1 200 OK', 'Content-Length 3'), want: { kind: 'unusable', reason: 'malformed header line' } },
  { name: 'a range in other units', bytes: raw('HTTP/1.1 206 OK', 'Content-Range: items 0-1/2'), want: { kind: 'unusable', reason: 'bad Content-Range' } },
  {
    name: 'conflicting ranges',
    bytes: raw('HTTP/1.1 206 OK', 'Content-Range: bytes 0-1/2', 'Content-Range: bytes 0-0/2'),
    want: { kind: 'unusable', reason: 'conflicting Content-Range' },
  },
])('parseResponseHead: $name', ({ bytes, want }) => {
  const expected = want.kind === 'head' && want.head.headBytes === WHOLE ? { ...want, head: { ...want.head, headBytes: bytes.length } } : want;
  expect(parseResponseHead(bytes)).toEqual(expected);
});

test('the body starts right after the head', () => {
  const bytes = Buffer.concat([raw('HTTP/1.1 200 OK', 'Content-Length: 4'), Buffer.from('body')]);
  const parsed = parseResponseHead(bytes);
  expect(parsed.kind === 'head' && bytes.subarray(parsed.head.headBytes).toString()).toBe('body');
});

const head = (h: Partial<ResponseHead>): ResponseHead => ({ status: 206, transferEncoding: false, headBytes: 0, ...h });

test.each<{ name: string; head: ResponseHead; range: { start: number; end: number }; want: string | undefined }>([
  { name: 'a 206 of the range', head: head({ contentLength: 10, contentRange: { start: 5, end: 14, total: 20 } }), range: { start: 5, end: 14 }, want: undefined },
  { name: 'a 200 of the whole range from 0', head: head({ status: 200, contentLength: 10 }), range: { start: 0, end: 9 }, want: undefined },
  { name: 'a 200 for a range not from 0', head: head({ status: 200, contentLength: 10 }), range: { start: 5, end: 14 }, want: 'status 200 for a range not from 0' },
  { name: 'a 200 of the whole object, longer than the range', head: head({ status: 200, contentLength: 20 }), range: { start: 0, end: 9 }, want: 'Content-Length 20, expected 10' },
  { name: 'no length', head: head({ contentRange: { start: 0, end: 9 } }), range: { start: 0, end: 9 }, want: 'Content-Length missing, expected 10' },
  { name: 'another range', head: head({ contentLength: 10, contentRange: { start: 6, end: 15 } }), range: { start: 5, end: 14 }, want: 'Content-Range does not match the range' },
  { name: 'a 206 with no range', head: head({ contentLength: 10 }), range: { start: 5, end: 14 }, want: 'Content-Range does not match the range' },
  { name: 'chunked', head: head({ transferEncoding: true, contentLength: 10 }), range: { start: 0, end: 9 }, want: 'Transfer-Encoding is set' },
  { name: 'an error status', head: head({ status: 403, contentLength: 10 }), range: { start: 0, end: 9 }, want: 'status 403' },
  { name: 'a 404', head: head({ status: 404, contentLength: 200 }), range: { start: 0, end: 9 }, want: 'Content-Length 200, expected 10' },
])('rangeMismatch: $name', ({ head: h, range, want }) => {
  expect(rangeMismatch(h, range)).toBe(want);
});
