/**
 * One collector at a time across every process sharing a volume: a lease file (`gc/lock`) created exclusively
 * through the driver (`create`: a hard link on a filesystem, a conditional write on an object store), holding its
 * owner and expiry. The holder renews it while it works and checks that it still owns it before each destructive
 * step; a lease whose holder died (kill -9) expires and is taken over. On a driver with versions (S3: ETag,
 * `If-Match`) the takeover and every renewal are one conditional write each; on a filesystem a takeover moves the
 * expired file aside first. As with every lease, exclusion assumes a live holder renews within its TTL (renewals
 * run every third of it).
 */
import { randomUUID } from 'node:crypto';
import type { StorageDriver } from '../driver.js';
import { GC_DIR, GC_LOCK_PATH } from '../paths.js';

interface LeaseText {
  owner: string;
  expiresAt: number;
}

/** A held lease; `lost` turns true when a renewal finds the lease gone or someone else's. */
export interface Lease {
  readonly owner: string;
  /** The filesystem's clock when the lease was taken (the lock file's mtime): the collector's start time. */
  readonly startedAtMs: number;
  readonly lost: boolean;
  /** Throws when the lease is no longer ours (the collector stops before deleting anything more). */
  check(): Promise<void>;
  release(): Promise<void>;
}

export class LeaseLostError extends Error {
  constructor() {
    super('the garbage collection lease was lost (another collector took it over)');
    this.name = 'LeaseLostError';
  }
}

/** Tries to take the lease; undefined when another live collector holds it. */
export async function acquireLease(driver: StorageDriver, ttlMs: number, now = Date.now): Promise<Lease | undefined> {
  if (!driver.create) throw new Error(`the ${driver.name} storage driver cannot hold a lease (no exclusive create)`);
  const owner = randomUUID();
  const text = (): string => JSON.stringify({ owner, expiresAt: now() + ttlMs } satisfies LeaseText);
  if (driver.getVersioned && driver.replaceIf) return acquireVersioned(driver as Versioned, owner, ttlMs, text, now);
  if (!(await driver.create(GC_LOCK_PATH, text()))) {
    if (!(await takeOverExpired(driver, now))) return undefined;
    if (!(await driver.create(GC_LOCK_PATH, text()))) return undefined;
  }
  const startedAtMs = (await driver.stat(GC_LOCK_PATH))?.mtimeMs ?? now();
  const renew = async (): Promise<boolean> => {
    if ((await readLease(driver))?.owner !== owner) return false;
    await driver.put(GC_LOCK_PATH, text());
    return true;
  };
  return heldLease(driver, owner, startedAtMs, ttlMs, renew);
}

type Versioned = StorageDriver & Required<Pick<StorageDriver, 'create' | 'getVersioned' | 'replaceIf'>>;

/**
 * On a driver with versions (an object store's ETag and `If-Match`): an expired lease is replaced only while it is
 * still the version read, and every renewal only while it is still our own last write, so a renewal can never
 * overwrite a lease that someone else took over meanwhile.
 */
async function acquireVersioned(
  driver: Versioned,
  owner: string,
  ttlMs: number,
  text: () => string,
  now: () => number,
): Promise<Lease | undefined> {
  let version: string | undefined;
  if (await driver.create(GC_LOCK_PATH, text())) {
    const mine = await driver.getVersioned(GC_LOCK_PATH);
    if (parse(mine?.data)?.owner !== owner) return undefined;
    version = mine!.version;
  } else {
    const seen = await driver.getVersioned(GC_LOCK_PATH);
    if (!seen) return undefined; // released a moment ago: the next run takes it
    const lease = parse(seen.data);
    if (lease && lease.expiresAt > now()) return undefined;
    version = await driver.replaceIf(GC_LOCK_PATH, text(), seen.version);
    if (version === undefined) return undefined;
  }
  const startedAtMs = (await driver.stat(GC_LOCK_PATH))?.mtimeMs ?? now();
  const renew = async (): Promise<boolean> => {
    version = version === undefined ? undefined : await driver.replaceIf(GC_LOCK_PATH, text(), version);
    return version !== undefined;
  };
  return heldLease(driver, owner, startedAtMs, ttlMs, renew);
}

/** Removes an expired lease so that a `create` can follow; false when the lease is live (or was just renewed). */
async function takeOverExpired(driver: StorageDriver, now: () => number): Promise<boolean> {
  const seen = await readLease(driver);
  if (seen && seen.expiresAt > now()) return false;
  if (!seen) return true;
  const stale = `${GC_DIR}/stale-${randomUUID()}`;
  try {
    await driver.move(GC_LOCK_PATH, stale); // exactly one of several takers moves it
  } catch {
    return false;
  }
  const moved = parse(await driver.get(stale));
  if (moved && moved.owner !== seen.owner) {
    // we moved a lease taken a moment ago by someone else: put it back (unless yet another one is there)
    await driver.create!(GC_LOCK_PATH, JSON.stringify(moved));
    await driver.delete(stale);
    return false;
  }
  await driver.delete(stale);
  return true;
}

/** A held lease, renewed every third of its TTL by `renew` (false: it is no longer ours). */
function heldLease(driver: StorageDriver, owner: string, startedAtMs: number, ttlMs: number, renew: () => Promise<boolean>): Lease {
  let lost = false;
  // one renewal at a time: two at once would race each other's If-Match and one would find the lease "lost"
  let last: Promise<void> = Promise.resolve();
  const renewal = (): Promise<void> => {
    const next = last.catch(() => undefined).then(async () => {
      if (!lost && !(await renew())) lost = true;
    });
    last = next;
    return next;
  };
  const timer = setInterval(() => void renewal().catch(() => undefined), Math.max(ttlMs / 3, 10));
  timer.unref();
  return {
    owner,
    startedAtMs,
    get lost() {
      return lost;
    },
    async check() {
      await renewal();
      if (lost) throw new LeaseLostError();
    },
    async release() {
      clearInterval(timer);
      await last.catch(() => undefined); // a renewal still running would write the lease again after the delete
      if (!lost && (await readLease(driver))?.owner === owner) await driver.delete(GC_LOCK_PATH);
    },
  };
}

async function readLease(driver: StorageDriver): Promise<LeaseText | undefined> {
  return parse(await driver.get(GC_LOCK_PATH));
}

function parse(raw: Buffer | undefined): LeaseText | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw.toString('utf8')) as Partial<LeaseText>;
    return typeof v.owner === 'string' && typeof v.expiresAt === 'number' ? { owner: v.owner, expiresAt: v.expiresAt } : undefined;
  } catch {
    return { owner: '', expiresAt: 0 }; // unreadable: treat as expired
  }
}
