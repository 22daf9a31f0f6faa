/** Picks and opens the driver that `storage.driver` names. */
import type { StorageConfig } from '../../../shared/registry-config.js';
import type { StorageDriver } from '../driver.js';
import { FsDriver } from './filesystem.js';
import { MemoryDriver } from './memory.js';
import { S3Driver } from './s3.js';

/** The part of the storage config that chooses and places the driver. */
export type DriverConfig = Pick<StorageConfig, 'driver' | 'root' | 's3'>;

export async function openDriver(config: DriverConfig): Promise<StorageDriver> {
  switch (config.driver) {
    case 'filesystem':
      return FsDriver.open(config.root);
    case 'memory':
      return new MemoryDriver();
    case 's3':
      if (!config.s3) throw new Error('storage.driver s3 needs storage.s3 (bucket, endpoint, ...)');
      return S3Driver.open(config.s3);
    default: {
      const unknown: never = config.driver;
      throw new Error(`unknown storage driver ${String(unknown)}`);
    }
  }
}
