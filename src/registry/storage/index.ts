/** The registry's stores over one filesystem root. */
import { BlobStore } from './blobs.js';
import { CatalogStore } from './catalog.js';
import { FsDriver } from './fs-driver.js';
import { ManifestStore } from './manifests.js';
import { UploadStore } from './uploads.js';

export interface Storage {
  driver: FsDriver;
  blobs: BlobStore;
  uploads: UploadStore;
  manifests: ManifestStore;
  catalog: CatalogStore;
}

export async function openStorage(root: string): Promise<Storage> {
  const driver = new FsDriver(root);
  await driver.mkdir('.');
  const blobs = new BlobStore(driver);
  return {
    driver,
    blobs,
    uploads: new UploadStore(driver, blobs),
    manifests: new ManifestStore(driver, blobs),
    catalog: new CatalogStore(driver),
  };
}
