/**
 * A worker's side of the cluster IPC channel: requests to the primary (answered by id), the aggregated `/metrics`
 * text, and the login limiter kept by the primary so its limits hold across all workers.
 */
import type { Registry } from 'prom-client';
import { REFUSALS, type Admission, type LoginAdmitter, type Refusal, type Settlement } from '../auth/login-limiter.js';
import { isToWorker, type ReplyBody, type ToPrimary, type WorkerRequest } from './messages.js';

/** How long a worker waits for the primary's answer. */
export const PRIMARY_TIMEOUT_MS = 10_000;

export class PrimaryLink {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (body: ReplyBody) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on('message', (message: unknown) => {
      if (!isToWorker(message)) return;
      if (message.type === 'berth:collect') return this.#collect(message.id);
      const waiting = this.#pending.get(message.id);
      if (!waiting) return;
      this.#pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.body.kind === 'error') waiting.reject(new Error(`primary: ${message.body.message}`));
      else waiting.resolve(message.body);
    });
  }

  #registry: Registry | undefined;

  /** Answers the primary's metric collections from `registry` (call once the registry exists). */
  serveMetrics(registry: Registry): void {
    this.#registry = registry;
  }

  #collect(id: number): void {
    if (!this.#registry) return this.send({ type: 'berth:collected', id, error: 'not started yet' });
    this.#registry.getMetricsAsJSON().then(
      (metrics) => this.send({ type: 'berth:collected', id, metrics }),
      (err: unknown) => this.send({ type: 'berth:collected', id, error: (err as Error).message }),
    );
  }

  send(message: ToPrimary): void {
    if (this.channel.connected) this.channel.send!(message);
  }

  request(request: WorkerRequest): Promise<ReplyBody> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (!this.channel.connected) return reject(new Error('the primary process is gone'));
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`the primary did not answer a ${request.kind} request within ${PRIMARY_TIMEOUT_MS} ms`));
      }, PRIMARY_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      this.send({ type: 'berth:request', id, request });
    });
  }

  /** The metrics of every worker, aggregated by the primary (each series labelled with its `worker`). */
  async metrics(): Promise<{ contentType: string; text: string }> {
    const body = await this.request({ kind: 'metrics' });
    if (body.kind !== 'metrics') throw new Error(`unexpected reply ${body.kind} to a metrics request`);
    return body;
  }

  /**
   * A login limiter whose failure counts and lockouts live in the primary (one set for all workers). Logins of one
   * address in progress in this worker are capped at `maxConcurrentPerAddress`: past it, 429 at once without asking
   * the primary. A login counts from the primary's admission to its end (the credential check), not during the
   * round trip to the primary: a robot's check takes microseconds, and counting the round trip would refuse
   * a client's parallel connections that a single process serves. Attempts already on their way to the primary
   * when the cap is reached still proceed (at most one round trip's worth).
   */
  loginLimiter(maxConcurrentPerAddress: number): LoginAdmitter {
    const inFlight = new Map<string, number>();
    const release = (address: string): void => {
      const n = (inFlight.get(address) ?? 1) - 1;
      if (n > 0) inFlight.set(address, n);
      else inFlight.delete(address);
    };
    return {
      begin: async (account, address, now = Date.now()): Promise<Admission> => {
        if ((inFlight.get(address) ?? 0) >= maxConcurrentPerAddress) {
          return { ok: false, reason: REFUSALS.concurrencyLimited, retryAfterMs: 1000 };
        }
        const body = await this.request({ kind: 'login-begin', account, address, now });
        if (body.kind !== 'login-begin') throw new Error(`unexpected reply ${body.kind} to a login request`);
        if (!body.ok) return { ok: false, reason: body.reason as Refusal, retryAfterMs: body.retryAfterMs };
        inFlight.set(address, (inFlight.get(address) ?? 0) + 1);
        const ticket = body.ticket;
        let done = false;
        const end = (ok: boolean): void => {
          if (done) return;
          done = true;
          release(address);
          this.send({ type: 'berth:login-end', ticket, ok });
        };
        return { ok: true, ticket: { succeeded: () => end(true), failed: () => end(false) } };
      },
      settle: async (account, address, ok, now = Date.now()): Promise<Settlement> => {
        const body = await this.request({ kind: 'login-settle', account, address, now, ok });
        if (body.kind !== 'login-settle') throw new Error(`unexpected reply ${body.kind} to a login request`);
        return body.ok ? { ok: true } : { ok: false, reason: body.reason as Refusal, retryAfterMs: body.retryAfterMs };
      },
    };
  }
}
