/**
 * The operator's HTTP endpoints: `/healthz` (the process is alive and not stuck), `/readyz` (caches synced, or
 * waiting as a standby for the leader Lease) and `/metrics` (Prometheus text format).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Undefined when healthy, otherwise why not. */
  healthy(): string | undefined;
  ready(): string | undefined;
}

export interface HealthServer {
  /** `host:port` actually bound (port 0 picks one). */
  address: string;
  close(): Promise<void>;
}

/** Splits `host:port` (IPv6 in brackets); an empty host means all interfaces. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(addr);
  if (!m || Number(m[2]) > 65535) throw new Error(`"${addr}" is not host:port`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function startHealthServer(addr: string, checks: HealthChecks, metrics: Registry): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'method not allowed\n');
    if (path === '/healthz' || path === '/readyz') {
      const problem = path === '/healthz' ? checks.healthy() : checks.ready();
      return problem === undefined ? answer(200, 'ok\n') : answer(503, `${problem}\n`);
    }
    if (path === '/metrics') {
      metrics.metrics().then(
        (text) => answer(200, text, metrics.contentType),
        (err: unknown) => answer(500, `${(err as Error).message}\n`),
      );
      return;
    }
    answer(404, 'not found\n');
  });
  const { host, port } = splitHostPort(addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host || undefined, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `${shownHost}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
