/**
 * Running sha256 hashes of upload sessions, computed off the event loop: one {@link HashWorker} per process (each
 * `--workers` process has its own), started on first use and again after it exits. Small sessions
 * ({@link SMALL_BODY_BYTES}) hash in-process, and so do all while a failed worker is recent (or a new one cannot be
 * started).
 */
import { createHash, type Hash } from 'node:crypto';
import { HashWorker, type HashWorkerOptions } from './hash-worker.js';

/** A running sha256 of one session's bytes. */
export interface HashSession {
  /** `body`, each chunk hashed before it is passed on (waiting for room in the ring when the worker is behind). */
  through(body: AsyncIterable<Buffer>): AsyncIterable<Buffer>;
  /** The hex sha256 of every chunk passed through; undefined when the hash was lost (its worker exited). Ends it. */
  digest(): Promise<string | undefined>;
  /** Ends the session without a digest. */
  drop(): void;
}

/**
 * A session's first body of at most this many bytes is hashed in-process, and so is the rest of that session: a
 * small blob (an image config) would otherwise wait behind the bigger uploads' bytes in the ring, and a worker
 * round trip costs more than hashing 64 KiB.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

/** Where a session's bytes are hashed. */
interface HashBackend {
  update(chunk: Buffer): Promise<void> | undefined;
  digest(): Promise<string | undefined>;
  drop(): void;
}

/** After a worker fails, sessions hash in-process for this long before another worker is tried. */
const RETRY_MS = 10_000;

class WorkerBackend implements HashBackend {
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

/** Hashing on the event loop (small sessions, and the fallback while there is no worker). */
class InlineBackend implements HashBackend {
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

/** A session: in-process or on the worker, as its first body decides. */
class RunningHash implements HashSession {
  #backend: HashBackend | undefined;

  constructor(private readonly onWorker: () => HashBackend) {}

  async *through(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const chunks = body[Symbol.asyncIterator]();
    let finished = false;
    try {
      let next = await chunks.next();
      if (!this.#backend) {
        const first: Buffer[] = [];
        let bytes = 0;
        for (; !next.done && bytes + next.value.length <= SMALL_BODY_BYTES; next = await chunks.next()) {
          first.push(next.value);
          bytes += next.value.length;
        }
        if (next.done && bytes === 0) {
          yield* first; // empty chunks, if any: the session is still undecided
          finished = true;
          return;
        }
        const backend = (this.#backend = next.done ? new InlineBackend() : this.onWorker());
        for (const chunk of first) {
          const room = backend.update(chunk);
          if (room) await room;
          yield chunk;
        }
      }
      for (; !next.done; next = await chunks.next()) {
        const room = this.#backend.update(next.value);
        if (room) await room;
        yield next.value;
      }
      finished = true;
    } finally {
      if (!finished) await chunks.return?.();
    }
  }

  digest(): Promise<string | undefined> {
    return (this.#backend ?? new InlineBackend()).digest();
  }

  drop(): void {
    this.#backend?.drop();
  }
}

/** Opens sessions whose bytes go to one worker, started lazily and again after it exits. */
export class Hasher {
  #worker: HashWorker | undefined;
  #retryAt = 0;
  #nextId = 0;

  constructor(private readonly options: HashWorkerOptions = {}) {}

  open(): HashSession {
    return new RunningHash(() => this.#backend(Date.now()));
  }

  /** Whether sessions that need a worker get one now (false while falling back to in-process hashing). */
  usesWorker(now = Date.now()): boolean {
    return this.#current(now) !== undefined;
  }

  /** Ends the current worker (tests). */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }

  #backend(now: number): HashBackend {
    const worker = this.#current(now);
    if (!worker) return new InlineBackend();
    this.#nextId = (this.#nextId + 1) & 0x7fffffff;
    return new WorkerBackend(worker, this.#nextId);
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
