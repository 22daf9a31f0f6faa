/**
 * A small HTTP client for the Kubernetes API. `kube-credentials.ts` (or `@kubernetes/client-node`'s `KubeConfig`)
 * supplies where the server is and the credentials (client certificates, bearer tokens, token files that rotate,
 * exec plugins); this module sends the requests itself, so the operator controls content types (server-side apply), timeouts, keep-alive connections,
 * streaming watches, and counts every request for its metrics.
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeCredentials } from './kube-credentials.js';
import { ApiError } from './api-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default `application/json`; server-side apply sends `application/apply-patch+yaml`. */
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Told about every finished request (for metrics): the verb and the HTTP status, 0 when there was none. */
export type RequestObserver = (verb: string, status: number) => void;

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Idle pooled connections close after this long, so a connection that went half-open (a NAT or load balancer
 * forgot it) is never handed to the next request.
 */
const IDLE_SOCKET_MS = 4_000;

/** The Kubernetes verb of a request, as audit logs and RBAC name it. */
export function verbOf(method: HttpMethod, query: ApiRequest['query']): string {
  if (method === 'GET') return query?.watch ? 'watch' : 'get';
  return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method];
}

/** Builds `path?query` from defined query values. */
export function buildUrlPath(path: string, query: ApiRequest['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export class ApiClient {
  readonly #kc: KubeCredentials;
  readonly #server: URL;
  /** Short requests share kept-alive connections. */
  readonly #agent: http.Agent;
  /** Each watch gets its own connection, with no idle timeout (silence is detected by the informer). */
  readonly #watchAgent: http.Agent;
  readonly #observer: RequestObserver;

  private constructor(kc: KubeCredentials, server: URL, agents: [http.Agent, http.Agent], observer: RequestObserver) {
    this.#kc = kc;
    this.#server = server;
    [this.#agent, this.#watchAgent] = agents;
    this.#observer = observer;
  }

  /** A client for the current context of `kc`, keeping connections alive between requests. */
  static async create(kc: KubeCredentials, observer: RequestObserver = () => {}): Promise<ApiClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const server = new URL(cluster.server);
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const agent = (keepAlive: boolean): http.Agent => {
      const common = { keepAlive, timeout: keepAlive ? IDLE_SOCKET_MS : undefined };
      if (server.protocol === 'http:') return new http.Agent(common);
      return new https.Agent({
        ...common,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        servername: cluster.tlsServerName ?? opts.servername ?? undefined,
        rejectUnauthorized: !cluster.skipTLSVerify,
      });
    };
    return new ApiClient(kc, server, [agent(true), agent(false)], observer);
  }

  /** The API server URL (for logs). */
  get server(): string {
    return this.#server.origin;
  }

  /** Sends a request and parses the JSON answer; throws {@link ApiError} on anything but 2xx. */
  async request<T>(req: ApiRequest): Promise<T> {
    const verb = verbOf(req.method, req.query);
    const res = await this.#send(req, verb);
    const text = await readBody(res).catch((err: unknown) => {
      this.#observer(verb, 0);
      throw new ApiError(0, '', `reading the answer failed: ${(err as Error).message}`, verb, req.path);
    });
    const status = res.statusCode ?? 0;
    this.#observer(verb, status);
    if (status < 200 || status > 299) throw ApiError.fromResponse(status, text, verb, req.path);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * Opens a watch (or any line-delimited JSON stream) and calls `onLine` for each line. Resolves when the server
   * ends the stream, rejects on a non-2xx answer or a broken connection. Abort with `req.signal`.
   */
  async stream(req: Omit<ApiRequest, 'method' | 'body'>, onLine: (line: unknown) => void): Promise<void> {
    const verb = 'watch';
    const res = await this.#send({ ...req, method: 'GET', timeoutMs: 0 }, verb);
    const status = res.statusCode ?? 0;
    this.#observer(verb, status);
    if (status < 200 || status > 299) {
      throw ApiError.fromResponse(status, await readBody(res).catch(() => ''), verb, req.path);
    }
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          res.destroy(new Error(`watch sent a line that is not JSON: ${line.slice(0, 200)}`));
          return;
        }
        onLine(parsed);
      });
      const broke = (err: Error): void => reject(new ApiError(0, '', `watch broke: ${err.message}`, verb, req.path));
      res.on('error', broke);
      lines.on('error', broke);
      res.on('aborted', () => reject(new ApiError(0, '', 'watch connection was cut', verb, req.path)));
      res.on('close', () => {
        if (res.errored) reject(new ApiError(0, '', `watch broke: ${res.errored.message}`, verb, req.path));
        else if (!res.complete) reject(new ApiError(0, '', 'watch connection was cut', verb, req.path));
        else resolve();
      });
    });
  }

  /** Closes idle keep-alive connections (on shutdown). */
  close(): void {
    this.#agent.destroy();
    this.#watchAgent.destroy();
  }

  async #send(req: ApiRequest, verb: string): Promise<http.IncomingMessage> {
    const auth: https.RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(auth);
    const headers: Record<string, string> = { Accept: 'application/json' };
    for (const [k, v] of Object.entries(auth.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (auth.auth) headers.Authorization = `Basic ${Buffer.from(auth.auth).toString('base64')}`;
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const prefix = this.#server.pathname.replace(/\/+$/, '');
    const mod = this.#server.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const r = mod.request(
        {
          protocol: this.#server.protocol,
          hostname: this.#server.hostname.replace(/^\[|\]$/g, ''),
          port: this.#server.port || (this.#server.protocol === 'http:' ? 80 : 443),
          path: prefix + buildUrlPath(req.path, req.query),
          method: req.method,
          headers,
          agent: verb === 'watch' ? this.#watchAgent : this.#agent,
          signal: req.signal,
        },
        resolve,
      );
      const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (timeoutMs > 0) r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      r.on('error', (err) => {
        this.#observer(verb, 0);
        reject(new ApiError(0, '', `${req.method} ${req.path}: ${err.message}`, verb, req.path));
      });
      r.end(payload);
    });
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('connection was cut')));
  });
}
