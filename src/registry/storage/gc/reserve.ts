/**
 * A space reserve, so that garbage collection (the only thing that frees space) can run on a full disk: it must write
 * before it deletes anything (its lease, the lease's renewals, folders in the trash). `gc/reserve` is a file of
 * {@link RESERVE_BYTES} that `berth serve` writes at start and every collection writes again after its run, when
 * missing and when it fits. A collection whose lease hits ENOSPC deletes the reserve and tries again.
 */
import type { StorageDriver } from '../driver.js';
import { isDiskFull } from '../health.js';
import { RESERVE_PATH } from '../paths.js';

/** 32 pages of 4 KiB: the lease, its renewals and the trash folders of a run on a full disk. */
export const RESERVE_BYTES = 128 * 1024;

/** Writes the reserve when it is missing; false when there is no room for it (nothing is left behind then). */
export async function ensureReserve(driver: StorageDriver): Promise<boolean> {
  if (await driver.stat(RESERVE_PATH)) return true;
  try {
    await driver.put(RESERVE_PATH, Buffer.alloc(RESERVE_BYTES));
    return true;
  } catch (err) {
    if (isDiskFull(err)) return false;
    throw err;
  }
}

/** Runs `fn`; when it hits ENOSPC and a reserve is there, deletes the reserve and runs it once more. */
export async function withReserve<T>(driver: StorageDriver, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isDiskFull(err) || !(await driver.delete(RESERVE_PATH))) throw err;
    return fn();
  }
}
