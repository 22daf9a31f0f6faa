/**
 * Which storage driver the registry tests run on: `BERTH_TEST_STORAGE` (`filesystem`, the default, or `memory`).
 * `npm test` runs the request tables and the conformance suites once more with `memory` (jest.config.js).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORAGE_DRIVERS, type StorageDriverName } from '../../src/shared/registry-config.js';

/** The storage driver named by `BERTH_TEST_STORAGE` (default `filesystem`). */
export function storageDriverFromEnv(env: NodeJS.ProcessEnv = process.env): StorageDriverName {
  const value = env.BERTH_TEST_STORAGE ?? 'filesystem';
  const name = STORAGE_DRIVERS.find((d) => d === value);
  if (!name) throw new Error(`BERTH_TEST_STORAGE must be one of ${STORAGE_DRIVERS.join(', ')}, not "${value}"`);
  return name;
}

/** A `berth serve` config file choosing `driver` (in a new temp folder, returned so the caller can remove it). */
export async function storageConfigFile(driver: StorageDriverName): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-storage-config-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, `storage:\n  driver: ${driver}\n`);
  return { dir, file };
}
