/**
 * Storage health, for `/readyz`: a probe writes a small file through the driver (`health/<id>`), reads it back and
 * deletes it, at most once every `checkEveryMs` however often probes come; a probe answers from the last result
 * when a check takes longer than `answerWithinMs` (an object store that hangs does not hang the probe).
 *
 * - `ok`: the probe's write, read and delete worked.
 * - `full`: the probe's write hit ENOSPC, or a request's did within the last `fullHoldMs` (a small probe file may
 *   still fit where a layer does not). Reads still work, so the registry stays ready (see the README, Disk full).
 * - `unavailable`: anything else failed (a read-only or vanished file system, an unreachable or refusing bucket),
 *   or a check has not finished for `stallMs`: `/readyz` answers 503 until a check succeeds again.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { StorageDriver } from './driver.js';
import { HEALTH_DIR } from './paths.js';

export const STORAGE_STATUSES = ['ok', 'full', 'unavailable'] as const;
export type StorageStatus = (typeof STORAGE_STATUSES)[number];

export interface StorageState {
  status: StorageStatus;
  /** What failed, for people (no secrets: error codes and the driver's message). */
  reason?: string;
  /** When the check this is based on ran (ms since epoch). */
  checkedAt: number;
}

export interface HealthOptions {
  checkEveryMs?: number;
  answerWithinMs?: number;
  stallMs?: number;
  fullHoldMs?: number;
  now?: () => number;
}

/** Whether an error means the storage is out of space (or over a quota). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The state a failed check means (pure). */
export function stateOfError(err: unknown, checkedAt: number): StorageState {
  const e = err as NodeJS.ErrnoException;
  if (isDiskFull(err)) return { status: 'full', reason: `the storage is full (${e.code})`, checkedAt };
  const what = e.code ? `${e.code}${e.syscall ? ` (${e.syscall})` : ''}` : `${e.name}: ${e.message}`;
  return { status: 'unavailable', reason: `storage check failed: ${what}`, checkedAt };
}

export class StorageHealth {
  readonly #probe = join(HEALTH_DIR, randomUUID());
  readonly #every: number;
  readonly #within: number;
  readonly #stall: number;
  readonly #hold: number;
  readonly #now: () => number;
  #last: StorageState | undefined;
  #running: Promise<StorageState> | undefined;
  #runningSince = 0;
  #fullSeenAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly driver: StorageDriver,
    opts: HealthOptions = {},
  ) {
    this.#every = opts.checkEveryMs ?? 5000;
    this.#within = opts.answerWithinMs ?? 1000;
    this.#stall = opts.stallMs ?? 10_000;
    this.#hold = opts.fullHoldMs ?? 30_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The status of the last finished check (undefined before the first). */
  get lastStatus(): StorageStatus | undefined {
    return this.#last?.status;
  }

  /** Records an error a request's storage write met (only ENOSPC matters here). */
  noteError(err: unknown): void {
    if (isDiskFull(err)) this.#fullSeenAt = this.#now();
  }

  /** Runs a check now (joining one already running). */
  check(): Promise<StorageState> {
    if (!this.#running) {
      this.#runningSince = this.#now();
      this.#running = this.#probeOnce().then((s) => {
        this.#last = s;
        this.#running = undefined;
        return s;
      });
    }
    return this.#running;
  }

  /** The current state: the cached result, refreshed when older than `checkEveryMs`. */
  async state(): Promise<StorageState> {
    if (!this.#last || this.#now() - this.#last.checkedAt >= this.#every) {
      const done = await within(this.check(), this.#within);
      if (done) return this.#view(done);
    }
    const now = this.#now();
    if (this.#running && now - this.#runningSince >= this.#stall) {
      return { status: 'unavailable', reason: `storage check has not finished for ${Math.round((now - this.#runningSince) / 1000)}s`, checkedAt: now };
    }
    return this.#view(this.#last ?? { status: 'unavailable', reason: 'the first storage check is still running', checkedAt: now });
  }

  #view(s: StorageState): StorageState {
    const ago = this.#now() - this.#fullSeenAt;
    if (s.status !== 'ok' || ago >= this.#hold) return s;
    return { status: 'full', reason: `a write hit ENOSPC ${Math.round(ago / 1000)}s ago`, checkedAt: s.checkedAt };
  }

  async #probeOnce(): Promise<StorageState> {
    const stamp = `${this.#now()}`;
    try {
      await this.driver.put(this.#probe, stamp);
      const back = await this.driver.get(this.#probe);
      await this.driver.delete(this.#probe);
      if (back?.toString('utf8') !== stamp) return { status: 'unavailable', reason: 'storage check read back other bytes', checkedAt: this.#now() };
      return { status: 'ok', checkedAt: this.#now() };
    } catch (err) {
      if (isDiskFull(err)) this.#fullSeenAt = this.#now();
      return stateOfError(err, this.#now());
    }
  }
}

/** The promise's value if it settles within `ms`, else undefined (the timer does not keep the process alive). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
