/**
 * The HTTP resource bounds (issue 9, finding 5), enforced on the `node:http` server beneath express:
 *
 * - `http.headersTimeout`: a request's headers (or a new connection that sends nothing) must arrive in time;
 *   else 408 with an OCI error body, and the connection is closed.
 * - `http.bodyIdleTimeout`: a request body that stops arriving for this long is cut (408 when no response has
 *   started). Inactivity, not duration: an upload that keeps sending is never cut, and time the registry itself
 *   spends (a full buffer it has not read yet, a slow disk) never counts against the client.
 * - `http.keepAliveTimeout`: an idle connection after a response is closed.
 * - `http.maxConnections` / `http.maxConnectionsPerAddress`: connections past the cap get 429 and are closed.
 *
 * The storage-side bounds (upload sessions and size, storage/upload-slots.ts) throw a `BoundError`, which the error
 * handler counts under the same metric.
 *
 * Each hit is counted in `berth_http_limit_hits_total{limit}`; open connections in `berth_http_open_connections`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { HttpConfig } from '../../shared/registry-config.js';
import { errorBody, RegistryError } from '../errors.js';
import type { RegistryMetrics } from '../metrics.js';
import { UPLOAD_LIMITS } from '../storage/upload-slots.js';

export const LIMITS = {
  headersTimeout: 'headers_timeout',
  bodyIdleTimeout: 'body_idle_timeout',
  keepAliveTimeout: 'keep_alive_timeout',
  maxConnections: 'max_connections',
  maxConnectionsPerAddress: 'max_connections_per_address',
  referrersPageBytes: 'referrers_page_bytes',
  uploadSessionsPerRepository: UPLOAD_LIMITS.sessionsPerRepository,
  uploadSessionsPerPrincipal: UPLOAD_LIMITS.sessionsPerPrincipal,
  uploadMaxBytes: UPLOAD_LIMITS.maxBytes,
} as const;

/** The OCI error for a bound that was hit: TOOMANYREQUESTS, naming the config field in `detail`. */
export function limitError(field: string, message: string, status: number): RegistryError {
  return new RegistryError('TOOMANYREQUESTS', message, { limit: field }, status, { Connection: 'close' });
}

/** A whole raw HTTP/1.1 response carrying `err`, for sockets express never saw. */
function rawResponse(err: RegistryError, reason: string): string {
  const body = JSON.stringify(errorBody([err]));
  const headers = [
    `HTTP/1.1 ${err.status} ${reason}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Docker-Distribution-API-Version: registry/2.0',
    ...(err.status === 429 ? ['Retry-After: 1'] : []),
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

type Limits = Pick<HttpConfig, 'headersTimeoutMs' | 'bodyIdleTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections' | 'maxConnectionsPerAddress' | 'trustProxy'>;

/** Node's own timers for headers and keep-alive; the check interval follows the headers timeout. */
export function serverTimeouts(limits: Limits) {
  return {
    requestTimeout: 0,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Applies every bound to `server`; returns a function that stops the body-idle sweep. */
export function guardServer(server: Server, limits: Limits, metrics: RegistryMetrics): () => void {
  server.timeout = 0;
  const hit = (limit: string): void => metrics.limitHits.inc({ limit });
  capConnections(server, limits, metrics, hit);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      if (socket.writable && err.code !== 'ECONNRESET') socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      socket.destroySoon();
      return;
    }
    hit(LIMITS.headersTimeout);
    const seconds = limits.headersTimeoutMs / 1000;
    if (socket.writable) socket.end(rawResponse(limitError('http.headersTimeout', `request headers not received within ${seconds}s`, 408), 'Request Timeout'));
    socket.destroySoon();
  });
  // server.timeout is 0, so the only socket timeouts are Node's keep-alive ones; with a listener we close them.
  server.on('timeout', (socket: Socket) => {
    hit(LIMITS.keepAliveTimeout);
    socket.destroy();
  });
  return sweepIdleBodies(server, limits.bodyIdleTimeoutMs, hit);
}

function capConnections(server: Server, limits: Limits, metrics: RegistryMetrics, hit: (l: string) => void): void {
  const byAddress = new Map<string, number>();
  let total = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const mine = byAddress.get(address) ?? 0;
    const perAddress = !limits.trustProxy && mine >= limits.maxConnectionsPerAddress;
    if (total >= limits.maxConnections || perAddress) {
      const field = perAddress ? 'http.maxConnectionsPerAddress' : 'http.maxConnections';
      hit(perAddress ? LIMITS.maxConnectionsPerAddress : LIMITS.maxConnections);
      // Over TLS the socket has not shaken hands yet: a plain-text 429 would be noise to the client; close it.
      if (server instanceof TlsServer) return void socket.destroy();
      socket.end(rawResponse(limitError(field, `too many open connections (${field})`, 429), 'Too Many Requests'));
      setTimeout(() => socket.destroy(), 1000).unref();
      (socket as Socket & { berthRefused?: boolean }).berthRefused = true;
      return;
    }
    total++;
    byAddress.set(address, mine + 1);
    metrics.openConnections.set(total);
    socket.once('close', () => {
      total--;
      const n = (byAddress.get(address) ?? 1) - 1;
      if (n > 0) byAddress.set(address, n);
      else byAddress.delete(address);
      metrics.openConnections.set(total);
    });
  });
  // a refused connection's request (sent before it read the 429) is never served
  server.prependListener('request', (req: IncomingMessage) => {
    if ((req.socket as Socket & { berthRefused?: boolean }).berthRefused) req.socket.destroy();
  });
}

interface Watched {
  res: ServerResponse;
  bytes: number;
  since: number;
}

/**
 * Watches requests whose body is still arriving; one sweep a fraction of the timeout reads each socket's byte
 * count, so the request stream itself is never touched (no listeners that could change its flow).
 */
function sweepIdleBodies(server: Server, idleMs: number, hit: (l: string) => void): () => void {
  const watched = new Map<IncomingMessage, Watched>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.complete) return;
    watched.set(req, { res, bytes: req.socket.bytesRead, since: Date.now() });
    const forget = (): void => void watched.delete(req);
    req.once('end', forget);
    res.once('close', forget);
  });
  const sweep = (): void => {
    const now = Date.now();
    for (const [req, w] of watched) {
      const bytes = req.socket.bytesRead;
      // bytes arrived, or ones we have not consumed yet are waiting: the client is not the one idling
      if (bytes !== w.bytes || req.readableLength > 0 || req.complete) {
        w.bytes = bytes;
        w.since = now;
        continue;
      }
      if (now - w.since < idleMs) continue;
      watched.delete(req);
      hit(LIMITS.bodyIdleTimeout);
      cutIdleBody(w.res, idleMs);
    }
  };
  const timer = setInterval(sweep, Math.max(50, Math.min(5000, Math.floor(idleMs / 4))));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Answers 408 straight on the socket and closes it. Nothing is written through `res`: a handler or express's
 * final handler may still hold it, and will find the socket gone (a client abort, which they already handle).
 */
function cutIdleBody(res: ServerResponse, idleMs: number): void {
  const socket = res.socket;
  if (!socket) return;
  if (res.headersSent || !socket.writable) {
    socket.destroy();
    return;
  }
  const err = limitError('http.bodyIdleTimeout', `no request body bytes for ${idleMs / 1000}s`, 408);
  socket.end(rawResponse(err, 'Request Timeout'));
  socket.destroySoon();
  setTimeout(() => socket.destroy(), 1000).unref();
}
