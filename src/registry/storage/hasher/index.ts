/**
 * Running sha256 hashes of upload sessions, computed off the event loop: one {@link HashWorker} per process (each
 * `--workers` process has its own), started on first use and again after it exits. While a failed worker is
 * recent (or a new one cannot be started), sessions hash in-process as before.
 */
import { createHash, type Hash } from 'node:crypto';
import { HashWorker, type HashWorkerOptions } from './hash-worker.js';

/** A running sha256 of one session's bytes. */
export interface HashSession {
  /** Hashes a chunk (copied: the caller may reuse it once this returns or its promise resolves). */
  update(chunk: Buffer): Promise<void> | undefined;
  /** The hex sha256 of every chunk given; undefined when the hash was lost (its worker exited). Ends the session. */
  digest(): Promise<string | undefined>;
  /** Ends the session without a digest. */
  drop(): void;
}

/** After a worker fails, sessions hash in-process for this long before another worker is tried. */
const RETRY_MS = 10_000;

class WorkerSession implements HashSession {
  #open = true;

  constructor(
    private readonly worker: HashWorker,
    private readonly id: number,
  ) {}

  update(chunk: Buffer): Promise<void> | undefined {
    return this.#open ? this.worker.update(this.id, chunk) : undefined;
  }

  digest(): Promise<string | undefined> {
    if (!this.#open) return Promise.resolve(undefined);
    this.#open = false;
    return this.worker.digest(this.id);
  }

  drop(): void {
    if (this.#open) this.worker.drop(this.id);
    this.#open = false;
  }
}

/** Hashing on the event loop (the fallback). */
class InlineSession implements HashSession {
  #hash: Hash | undefined = createHash('sha256');

  update(chunk: Buffer): undefined {
    this.#hash?.update(chunk);
    return undefined;
  }

  digest(): Promise<string | undefined> {
    const hex = this.#hash?.digest('hex');
    this.#hash = undefined;
    return Promise.resolve(hex);
  }

  drop(): void {
    this.#hash = undefined;
  }
}

/** Opens sessions on one worker, started lazily and again after it exits. */
export class Hasher {
  #worker: HashWorker | undefined;
  #retryAt = 0;
  #nextId = 0;

  constructor(private readonly options: HashWorkerOptions = {}) {}

  open(now = Date.now()): HashSession {
    const worker = this.#current(now);
    if (!worker) return new InlineSession();
    this.#nextId = (this.#nextId + 1) & 0x7fffffff;
    return new WorkerSession(worker, this.#nextId);
  }

  /** Whether sessions opened now go to a worker (false while falling back to in-process hashing). */
  usesWorker(now = Date.now()): boolean {
    return this.#current(now) !== undefined;
  }

  /** Ends the current worker (tests). */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }

  #current(now: number): HashWorker | undefined {
    const worker = this.#worker;
    if (worker && !worker.exited) return worker;
    if (worker?.failed) {
      this.#retryAt = now + RETRY_MS;
      this.#worker = undefined;
    }
    if (now < this.#retryAt) return undefined;
    try {
      return (this.#worker = new HashWorker(this.options));
    } catch {
      this.#retryAt = now + RETRY_MS;
      return undefined;
    }
  }
}

/** The process's hasher. */
export const sharedHasher = new Hasher();

/** `body`, with each chunk given to `session` before it is passed on (waiting for room when the worker is behind). */
export async function* hashThrough(body: AsyncIterable<Buffer>, session: HashSession): AsyncIterable<Buffer> {
  for await (const chunk of body) {
    const room = session.update(chunk);
    if (room) await room;
    yield chunk;
  }
}
