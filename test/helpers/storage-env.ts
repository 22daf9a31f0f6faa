/**
 * Which storage driver the registry tests run on: `BERTH_TEST_STORAGE` (`filesystem`, the default, `memory`, or
 * `s3`: the server in BERTH_TEST_S3, see s3-env.ts). `npm test` runs the request tables and the conformance suites
 * once more with `memory` and with `s3` (jest.config.js).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { STORAGE_DRIVERS, type StorageDriverName } from '../../src/shared/registry-config.js';
import { s3ServerFromEnv, s3TestConfig } from './s3-env.js';

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
  const storage = driver === 's3' ? { driver, s3: s3FileSection() } : { driver };
  await writeFile(file, stringify({ storage }));
  return { dir, file };
}

/** The `storage.s3` section of a config file for the test server, under a new prefix (keys: from the environment). */
function s3FileSection(): Record<string, unknown> {
  const { bucket, region, endpoint, forcePathStyle, prefix, partSize } = s3TestConfig(s3ServerFromEnv());
  return { bucket, region, endpoint, forcePathStyle, prefix, partSize };
}
