/**
 * A plain HTTP/1.1 client over node:http with keep-alive: bodies are streamed (a file, a Buffer), responses are
 * either collected (small) or handed to a consumer that streams them. Every request has a timeout.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The collected body; empty when a consumer read it. */
  body: Buffer;
}

export interface RequestOptions {
  method: string;
  headers?: Record<string, string | number>;
  /** A Buffer, or a stream piped as the body (set Content-Length yourself to avoid chunked encoding). */
  body?: Buffer | Readable;
  agent: Agent;
  timeoutMs: number;
  /** Streams the response body; without it the body is collected (at most 4 MiB). */
  consume?: (res: IncomingMessage) => Promise<void>;
}

const MAX_COLLECTED = 4 * 1024 * 1024;

/** A keep-alive agent for up to `sockets` concurrent requests. */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets });
}

/** Sends one request and resolves with the response once its body has been read. */
export function send(url: URL, opts: RequestOptions): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = httpRequest(url, {
      method: opts.method,
      headers: opts.headers,
      agent: opts.agent,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    req.once('error', reject);
    req.once('response', (res) => {
      readResponse(res, opts.consume).then(
        (body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
        reject,
      );
    });
    if (opts.body === undefined) req.end();
    else if (Buffer.isBuffer(opts.body)) req.end(opts.body);
    else pipeline(opts.body, req).catch((err: unknown) => req.destroy(err as Error));
  });
}

async function readResponse(res: IncomingMessage, consume: RequestOptions['consume']): Promise<Buffer> {
  if (consume && res.statusCode !== undefined && res.statusCode < 300) {
    await consume(res);
    return Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > MAX_COLLECTED) throw new Error(`response body over ${MAX_COLLECTED} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Throws an error naming the request and showing the start of the body unless the status is `expected`. */
export function expectStatus(res: HttpResponse, expected: number, what: string): void {
  if (res.status !== expected) {
    throw new Error(`${what}: expected HTTP ${expected}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
  }
}

/** The `Location` header resolved against the request URL. */
export function location(res: HttpResponse, base: URL, what: string): URL {
  const value = res.headers.location;
  if (!value) throw new Error(`${what}: HTTP ${res.status} without a Location header`);
  return new URL(value, base);
}
