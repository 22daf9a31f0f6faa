/**
 * A GET of a presigned `http://` URL on a plain socket that reads into two reused 1 MiB buffers (`onread`), for
 * serving a blob range through the registry without allocating per chunk. Through the SDK every 64 KiB chunk is a
 * fresh off-heap buffer (two, with the HTTP parser's), which cost about 7 CPU-s per GiB on loopback in page faults
 * and full garbage collections; here each filled buffer is written to the client and the socket is paused while
 * both are in flight, so memory stays at 2 MiB per request whatever the size.
 *
 * The response head is read by a strict parser (http-head.ts); a response that is not exactly the range asked for,
 * in Content-Length framing, or a failure before the first body byte, resolves false and the caller serves the
 * range another way. After the first body byte a failure (the server closing early, a timeout, the client going
 * away) destroys both sides, so the client sees a truncated body, never a wrong one.
 */
import { connect, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { ByteRange } from '../driver.js';
import { MAX_HEAD_BYTES, parseResponseHead, rangeMismatch } from './http-head.js';

export const SOCKET_CHUNK = 1024 * 1024;
/** Idle buffer pairs kept for the next request (at most 8 MiB). */
const POOL_LIMIT = 4;
const pool: Array<[Buffer, Buffer]> = [];

export interface SocketGetOptions {
  /** Idle time (connecting, or no bytes either way) after which the GET fails. */
  timeoutMs: number;
}

/** The request head of a GET of `url` for `range` (the presigned query carries the authorization). */
export function requestHead(url: URL, range: ByteRange): string {
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nRange: bytes=${range.start}-${range.end}\r\nConnection: close\r\n\r\n`;
}

/**
 * GETs `range` of `url` (http:) and writes its body to `out`, then ends `out`. Resolves true once `out` has taken
 * every byte; false when nothing was written and the caller should serve the range another way; rejects (with
 * `out` destroyed) when the body broke off.
 */
export function sendOverSocket(url: URL, range: ByteRange, out: Writable, opts: SocketGetOptions): Promise<boolean> {
  if (url.protocol !== 'http:') return Promise.resolve(false);
  return new Promise<boolean>((resolve, reject) => {
    const pair = pool.pop() ?? [Buffer.allocUnsafeSlow(SOCKET_CHUNK), Buffer.allocUnsafeSlow(SOCKET_CHUNK)];
    let next = 0; // the buffer the next read fills
    let head: Buffer | undefined = Buffer.alloc(0); // undefined once the head is parsed
    let remaining = range.end - range.start + 1;
    let inflight = 0;
    let started = false;
    let paused = false;
    let settled = false;

    const settle = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      out.off('close', onOutClose);
      socket.destroy();
      // the pair is reused only once the client socket has let go of both buffers
      if (inflight === 0 && pool.length < POOL_LIMIT) pool.push(pair);
      if (!err) {
        out.end();
        resolve(true);
      } else if (started || out.destroyed) {
        out.destroy(); // no error: the response has no listener for it; the caller gets it
        reject(err);
      } else {
        resolve(false);
      }
    };
    const fail = (err: Error): void => settle(err);
    const onOutClose = (): void => fail(new Error('premature close'));

    const written = (err?: Error | null): void => {
      inflight--;
      if (settled) return;
      if (err) return fail(err);
      if (remaining === 0 && inflight === 0) return settle(undefined);
      if (paused) {
        paused = false;
        socket.resume();
      }
    };
    /** Writes bytes of the current buffer to `out`; false when both buffers are now in flight. */
    const forward = (body: Buffer): boolean => {
      const slice = body.length > remaining ? body.subarray(0, remaining) : body;
      if (slice.length === 0) return true;
      remaining -= slice.length;
      started = true;
      inflight++;
      next ^= 1;
      out.write(slice, written);
      paused = inflight >= 2;
      return !paused;
    };
    const onRead = (nread: number, buf: Buffer): boolean => {
      if (settled) return false;
      if (remaining === 0) return true;
      if (head === undefined) return forward(buf.subarray(0, nread));
      const seen = head.length;
      const combined = Buffer.concat([head, buf.subarray(0, Math.min(nread, MAX_HEAD_BYTES))]);
      const parsed = parseResponseHead(combined);
      if (parsed.kind === 'incomplete') {
        head = combined;
        return true;
      }
      if (parsed.kind === 'unusable') {
        fail(new Error(parsed.reason));
        return false;
      }
      const mismatch = rangeMismatch(parsed.head, range);
      if (mismatch) {
        fail(new Error(mismatch));
        return false;
      }
      head = undefined;
      return forward(buf.subarray(parsed.head.headBytes - seen, nread));
    };

    const socket: Socket = connect({
      host: url.hostname,
      port: Number(url.port || 80),
      onread: { buffer: () => pair[next]!, callback: onRead },
    });
    socket.setNoDelay(true);
    socket.setTimeout(opts.timeoutMs, () => fail(new Error(`no bytes from ${url.host} for ${opts.timeoutMs} ms`)));
    // once every byte of the range is in, the server closing (or resetting) the connection is expected
    socket.once('error', (err) => {
      if (remaining > 0) fail(err);
    });
    socket.once('end', () => {
      if (remaining > 0) fail(new Error(`${url.host} closed the connection ${remaining} bytes before the end of the range`));
    });
    socket.once('connect', () => socket.write(requestHead(url, range)));
    out.once('close', onOutClose);
  });
}
