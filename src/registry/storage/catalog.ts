/**
 * The catalog: every repository in the store, found by walking `repositories/` for folders that hold
 * `_layers`, `_manifests` or `_referrers`.
 */
import type { StorageDriver } from './driver.js';
import { byteOrder } from './manifests.js';
import { REPOSITORIES_DIR, REPOSITORY_MARKERS } from './paths.js';

export class CatalogStore {
  constructor(private readonly driver: StorageDriver) {}

  /** All repository names in byte order. */
  async repositories(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, name: string): Promise<void> => {
      const entries = await this.driver.list(dir);
      if (name && entries.some((e) => (REPOSITORY_MARKERS as readonly string[]).includes(e.name))) found.push(name);
      for (const e of entries) {
        if (e.isDirectory && !e.name.startsWith('_')) await walk(`${dir}/${e.name}`, name ? `${name}/${e.name}` : e.name);
      }
    };
    await walk(REPOSITORIES_DIR, '');
    return found.sort(byteOrder);
  }
}
