/**
 * The primary process of `berth serve --workers N` (node:cluster): it serves no request itself. It forks N
 * workers that share one listening socket (connections handed out round-robin), and keeps what must be one for
 * all of them:
 *
 * - **Metrics:** a worker asked for `/metrics` asks the primary, which gathers every serving worker's registry
 *   (collector.ts) and answers; each series carries a `worker` label.
 * - **The login limiter:** the failed-login counts, lockouts and the per-account concurrency cap live here, so
 *   the limits of the config hold for the registry as a whole, not per worker. The per-address concurrency cap is
 *   each worker's (worker-link.ts): it guards that worker's password-hash pool.
 * - **Lifecycle:** the first `listening` line is printed once every worker listens; a worker that dies is
 *   replaced (after 1 s, doubling to 30 s while replacements keep dying young); SIGTERM/SIGINT stop every worker
 *   gracefully (each finishes its requests, as a single process does) and the primary exits when all have.
 *
 * Everything else is already shared through storage (upload sessions, blobs, manifests, upload slots, the GC
 * lease) or is per worker by design (the byte cache; the policy, which each worker loads and follows itself).
 * Housekeeping that needs one actor (upload purge, GC timer) runs in worker 0 only.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../shared/logger.js';
import { announce } from '../../shared/logger.js';
import type { RegistryConfig } from '../../shared/registry-config.js';
import { loginLimiterFor, type LoginLimiter, type LoginTicket } from '../auth/login-limiter.js';
import { SHUTDOWN_GRACE_MS } from '../server.js';
import { MetricsCollector } from './collector.js';
import { isToPrimary, WORKER_INDEX_ENV, type ReplyBody, type WorkerRequest } from './messages.js';

export interface PrimaryOptions {
  workers: number;
  config: RegistryConfig;
  logger: Logger;
}

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A worker that lived this long resets the restart delay. */
const HEALTHY_AFTER_MS = 60_000;

/** Runs the primary until it is stopped; resolves with the exit code. */
export async function runPrimary({ workers: count, config, logger }: PrimaryOptions): Promise<number> {
  const collector = new MetricsCollector();
  // The per-address concurrency cap is each worker's (it guards that worker's password-hash pool, and counted here
  // it would also count the IPC round trips); failures, lockouts and the per-account cap are counted here.
  const limiter: LoginLimiter | undefined = config.auth
    ? loginLimiterFor(config.auth, { maxConcurrentPerAddress: Number.MAX_SAFE_INTEGER })
    : undefined;
  /** Open login tickets by id, with the worker that holds each (a dying worker's tickets fail). */
  const tickets = new Map<number, { ticket: LoginTicket; worker: number }>();
  let nextTicket = 1;
  const byIndex = new Map<number, Worker>();
  const started = new Map<number, number>();
  const delays = new Map<number, number>();
  let stopping = false;
  let startupDone = false;
  let address: string | undefined;
  const listening = new Set<number>();

  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const answer = async (request: WorkerRequest, workerId: number): Promise<ReplyBody> => {
    if (request.kind === 'metrics') {
      const serving = [...byIndex].filter(([index]) => listening.has(index)).map(([, worker]) => worker);
      return { kind: 'metrics', contentType: collector.contentType, text: await collector.collect(serving) };
    }
    if (!limiter) return { kind: 'error', message: 'no auth section in the config' };
    if (request.kind === 'login-settle') {
      const admission = limiter.begin(request.account, request.address, request.now);
      if (!admission.ok) return { kind: 'login-settle', ok: false, reason: admission.reason, retryAfterMs: admission.retryAfterMs };
      if (request.ok) admission.ticket.succeeded();
      else admission.ticket.failed();
      return { kind: 'login-settle', ok: true };
    }
    const admission = limiter.begin(request.account, request.address, request.now);
    if (!admission.ok) return { kind: 'login-begin', ok: false, reason: admission.reason, retryAfterMs: admission.retryAfterMs };
    const ticket = nextTicket++;
    tickets.set(ticket, { ticket: admission.ticket, worker: workerId });
    return { kind: 'login-begin', ok: true, ticket };
  };

  const fork = (index: number): void => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    byIndex.set(index, worker);
    started.set(index, Date.now());
    worker.on('message', (message: unknown) => {
      if (!isToPrimary(message)) return;
      if (message.type === 'berth:listening') {
        address = message.address;
        listening.add(index);
        if (startupDone) logger.info('replacement worker serving', { worker: index });
        if (!startupDone && listening.size === count) {
          startupDone = true;
          announce('listening', { component: 'registry', address, workers: count, storage: config.storage.root, auth: config.auth ? 'token' : 'none' });
        }
      } else if (message.type === 'berth:collected') {
        collector.received(message.id, worker.id, message.metrics);
      } else if (message.type === 'berth:login-end') {
        const open = tickets.get(message.ticket);
        if (!open) return;
        tickets.delete(message.ticket);
        if (message.ok) open.ticket.succeeded();
        else open.ticket.failed();
      } else {
        const { id, request } = message;
        answer(request, worker.id).then(
          (body) => worker.isConnected() && worker.send({ type: 'berth:reply', id, body }),
          (err: unknown) => worker.isConnected() && worker.send({ type: 'berth:reply', id, body: { kind: 'error', message: (err as Error).message } }),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      collector.forget(worker.id);
      if (byIndex.get(index) === worker) listening.delete(index);
      for (const [id, open] of tickets) {
        if (open.worker !== worker.id) continue;
        tickets.delete(id);
        open.ticket.failed();
      }
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) {
        if (byIndex.size === 0) finish(0);
        return;
      }
      if (!startupDone) {
        logger.error('a worker exited while starting; stopping', { worker: index, code, signal });
        void stopAll().then(() => finish(1));
        return;
      }
      const lived = Date.now() - (started.get(index) ?? 0);
      const delay = lived > HEALTHY_AFTER_MS ? RESTART_MIN_MS : Math.min(RESTART_MAX_MS, (delays.get(index) ?? RESTART_MIN_MS / 2) * 2);
      delays.set(index, delay);
      logger.error('a worker died; starting a replacement', { worker: index, code, signal, restartInMs: delay });
      setTimeout(() => {
        if (!stopping) fork(index);
      }, delay);
    });
  };

  const stopAll = async (): Promise<void> => {
    stopping = true;
    if (byIndex.size === 0) return;
    const exited = new Promise<void>((resolve) => {
      const check = (): void => {
        if (byIndex.size === 0) resolve();
      };
      cluster.on('exit', check);
    });
    for (const worker of byIndex.values()) worker.process.kill('SIGTERM');
    // A worker that has not finished after the grace period (plus a margin for its own cut) is killed.
    const kill = setTimeout(() => {
      for (const worker of byIndex.values()) worker.process.kill('SIGKILL');
    }, SHUTDOWN_GRACE_MS + 5000);
    kill.unref();
    await exited;
    clearTimeout(kill);
  };

  const stop = (signal: string): void => {
    if (stopping) return;
    announce('shutting down', { component: 'registry', signal, workers: byIndex.size });
    void stopAll().then(() => finish(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < count; i++) fork(i);
  return done;
}
