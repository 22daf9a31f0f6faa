/**
 * The registry's stores (OCI meaning) over one storage driver (bytes at paths). The stores see only the
 * {@link StorageDriver} interface; `openStorage` picks the driver from the config.
 */
import { BlobStore } from './blobs.js';
import { CatalogStore } from './catalog.js';
import type { StorageDriver } from './driver.js';
import { openDriver, type DriverConfig } from './drivers/open.js';
import { ManifestStore } from './manifests.js';
import { UploadStore } from './uploads.js';

export interface Storage {
  blobs: BlobStore;
  uploads: UploadStore;
  manifests: ManifestStore;
  catalog: CatalogStore;
}

/** The stores over a driver the caller opened (tests, embedding). */
export function createStorage(driver: StorageDriver): Storage {
  const blobs = new BlobStore(driver);
  return {
    blobs,
    uploads: new UploadStore(driver, blobs),
    manifests: new ManifestStore(driver, blobs),
    catalog: new CatalogStore(driver),
  };
}

/** The stores over the driver `config.driver` names (`filesystem` over `config.root`, or `memory`). */
export async function openStorage(config: DriverConfig): Promise<Storage> {
  return createStorage(await openDriver(config));
}
