/**
 * One hash worker thread and the event loop's side of its ring (ring.ts): records are copied into the ring and the
 * worker hashes them on another core, so sha256 no longer competes with socket reads and disk writes on the event
 * loop. Memory is the ring's, whatever the number of sessions: a record that does not fit waits in a FIFO queue
 * (its caller awaits it, which is the backpressure) until the worker frees room.
 *
 * A worker that exits (crash, error at start, terminate) takes its sessions' hashes with it: their digests resolve
 * `undefined` and later records are ignored, so the caller falls back to a hash it can still trust (upload.ts:
 * the driver's saved hash state, or reading the bytes back). A worker idle for `idleMs` (nothing written) ends
 * itself the same way, so an idle process, or a test file, keeps no thread.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_SOURCE, type DigestMessage } from './consumer.js';
import { allocateRing, RING, ringViews, writeRecord, type RingOp, type RingViews } from './ring.js';

export const DEFAULT_RING_BYTES = 4 * 1024 * 1024;
const DEFAULT_IDLE_MS = 60_000;

/** `Atomics.waitAsync` (ES2024, in Node since 16; the project's lib is ES2023). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync.bind(Atomics);

interface Queued {
  op: RingOp;
  session: number;
  data: Uint8Array | undefined;
  written: () => void;
}

export interface HashWorkerOptions {
  /** Ring size in bytes, a power of two (default 4 MiB). */
  ringBytes?: number;
  /** The worker ends after this long with nothing written (default 60 s). */
  idleMs?: number;
  /** The worker's script (tests: one that fails); default {@link WORKER_SOURCE}. */
  source?: string;
}

export class HashWorker {
  readonly #ring: RingViews;
  readonly #worker: Worker;
  /** Data bytes per record at most: a larger chunk is split, so one chunk never needs the whole ring. */
  readonly #maxData: number;
  #head = 0;
  /** Bytes written since the worker was last woken. */
  #unwoken = 0;
  readonly #wakeBytes: number;
  #queue: Queued[] = [];
  #watching = false;
  readonly #digests = new Map<number, (hex: string | undefined) => void>();
  #exited = false;
  #failed = false;
  #active = false;
  #held = false;
  readonly #idle: NodeJS.Timeout;

  constructor(options: HashWorkerOptions = {}) {
    const { control, data } = allocateRing(options.ringBytes ?? DEFAULT_RING_BYTES);
    this.#ring = ringViews(control, data);
    this.#maxData = data.byteLength / 4;
    this.#wakeBytes = data.byteLength / 8;
    const workerData = { control, data, layout: RING };
    this.#worker = new Worker(options.source ?? WORKER_SOURCE, { eval: true, name: 'berth-hash', workerData });
    this.#worker.on('message', (message: DigestMessage) => {
      const done = this.#digests.get(message.session);
      this.#digests.delete(message.session);
      this.#holdLoop();
      done?.(message.hex);
    });
    this.#worker.on('error', () => {
      this.#failed = true;
    });
    this.#worker.on('exit', () => this.#exit());
    this.#worker.unref(); // after the listeners: adding a 'message' one refs the worker again (#holdLoop)
    this.#idle = setInterval(() => {
      if (!this.#active && this.#queue.length === 0 && this.#digests.size === 0) void this.#worker.terminate();
      this.#active = false;
    }, options.idleMs ?? DEFAULT_IDLE_MS);
    this.#idle.unref();
  }

  /** Whether the worker has exited (its sessions' hashes are gone; a new one is needed). */
  get exited(): boolean {
    return this.#exited;
  }

  /** Whether it exited on an error rather than terminate (idle): the caller may wait before starting another. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Hashes `chunk` into `session`; a promise when it must wait for room in the ring. */
  update(session: number, chunk: Uint8Array): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    for (let offset = 0; offset < chunk.length; offset += this.#maxData) {
      wait = this.#put(RING.ops.update, session, chunk.subarray(offset, offset + this.#maxData)) ?? wait;
    }
    return wait;
  }

  /** The session's hex sha256, after which the worker forgets it; undefined when the worker exited first. */
  digest(session: number): Promise<string | undefined> {
    if (this.#exited) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#digests.set(session, resolve);
      this.#holdLoop();
      void this.#put(RING.ops.digest, session);
    });
  }

  /** Forgets the session. */
  drop(session: number): void {
    void this.#put(RING.ops.drop, session);
  }

  /** Ends the worker (tests; a process exit ends it anyway). */
  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  /** Writes a record now when nothing is queued and it fits, else queues it; the promise resolves once written. */
  #put(op: RingOp, session: number, data?: Uint8Array): Promise<void> | undefined {
    if (this.#exited) return undefined;
    this.#active = true;
    if (this.#queue.length === 0 && this.#write(op, session, data, Atomics.load(this.#ring.control, RING.tail))) return undefined;
    return new Promise((written) => {
      this.#queue.push({ op, session, data, written });
      this.#holdLoop();
      this.#pump();
    });
  }

  #write(op: RingOp, session: number, data: Uint8Array | undefined, tail: number): boolean {
    const head = writeRecord(this.#ring, this.#head, tail, op, session, data);
    if (head === undefined) return false;
    this.#unwoken += (head - this.#head) >>> 0;
    this.#head = head;
    Atomics.store(this.#ring.control, RING.head, head | 0);
    if (op !== RING.ops.update || this.#unwoken >= this.#wakeBytes) this.#wake();
    return true;
  }

  /**
   * Wakes a sleeping worker. Each wake is a futex call on both threads, so data is left for it to find until
   * `#wakeBytes` gathered; a digest or drop, and a producer about to wait for room, wake it at once.
   */
  #wake(): void {
    this.#unwoken = 0;
    if (Atomics.load(this.#ring.control, RING.sleeping) === 1) Atomics.notify(this.#ring.control, RING.head);
  }

  /**
   * Writes queued records while they fit, then waits (without blocking) until the worker has freed half the ring.
   */
  #pump(): void {
    if (this.#watching) return;
    const { control } = this.#ring;
    while (this.#queue.length > 0 && !this.#exited) {
      const next = this.#queue[0]!;
      if (!this.#write(next.op, next.session, next.data, Atomics.load(control, RING.tail))) {
        this.#wake();
        Atomics.store(control, RING.waiting, 1); // then look at tail once more: the worker may have just freed room
        const tail = Atomics.load(control, RING.tail);
        if (!this.#write(next.op, next.session, next.data, tail)) {
          const moved = waitAsync(control, RING.tail, tail);
          if (!moved.async) continue;
          this.#watching = true;
          void moved.value.then(() => {
            this.#watching = false;
            this.#pump();
          });
          return;
        }
      }
      this.#queue.shift();
      this.#holdLoop();
      next.written();
    }
  }

  /**
   * Keeps the process alive while someone awaits the worker (a digest, room in the ring), and only then: an idle
   * worker does not hold a process that is done.
   */
  #holdLoop(): void {
    const hold = this.#queue.length > 0 || this.#digests.size > 0;
    if (hold === this.#held) return;
    this.#held = hold;
    if (hold) this.#worker.ref();
    else this.#worker.unref();
  }

  #exit(): void {
    this.#exited = true;
    clearInterval(this.#idle);
    for (const queued of this.#queue) queued.written();
    this.#queue = [];
    for (const done of this.#digests.values()) done(undefined);
    this.#digests.clear();
  }
}
