/**
 * Per-repository usage, kept in memory and updated as pushes and deletes happen, so a quota decision costs a few
 * map look-ups (plus one stat per blob a manifest names that the repository does not hold yet), never a walk.
 *
 * What a repository holds: its manifests (each counted by its bytes) and the configs and layers they name, each
 * digest once however many manifests share it. A layer uploaded but not yet named by a manifest is not counted
 * until its manifest is pushed (the manifest push is where the quota is enforced at the latest).
 *
 * The counts are recomputed from storage by {@link UsageTracker.rescan}: at start and every
 * `storage.lifecycle.usageRescanInterval` (other replicas on the same volume write too); and repository by repository
 * after a retention run or a garbage collection deleted manifests in it. (A collection deletes only blobs no kept
 * manifest names, which no count holds, so a run that deleted no manifest changes no count.)
 * A repository written while it was being rescanned is rescanned again.
 */
import type { BlobStore } from '../storage/blobs.js';
import type { CatalogStore } from '../storage/catalog.js';
import type { StorageDriver } from '../storage/driver.js';
import { scanRepository, type HeldBlob, type RepositoryScan } from './repo-scan.js';

export interface Usage {
  bytes: number;
  tags: number;
  /** Latest tag push time (ms since epoch), undefined without tags. */
  lastPushMs: number | undefined;
}

class RepositoryUsage {
  readonly counted = new Map<string, { size: number; holders: number }>();
  readonly manifests = new Map<string, string[]>();
  readonly tags = new Map<string, number>();
  bytes = 0;

  hold(digest: string, size: number): void {
    const c = this.counted.get(digest);
    if (c) c.holders++;
    else {
      this.counted.set(digest, { size, holders: 1 });
      this.bytes += size;
    }
  }

  release(digest: string): void {
    const c = this.counted.get(digest);
    if (!c) return;
    if (--c.holders > 0) return;
    this.counted.delete(digest);
    this.bytes -= c.size;
  }

  addManifest(digest: string, size: number, blobs: readonly HeldBlob[]): void {
    if (this.manifests.has(digest)) return;
    const held = [{ digest, size }, ...blobs.filter((b) => b.digest !== digest)];
    this.manifests.set(digest, held.map((h) => h.digest));
    for (const h of held) this.hold(h.digest, h.size);
  }

  removeManifest(digest: string): void {
    const held = this.manifests.get(digest);
    if (!held) return;
    this.manifests.delete(digest);
    for (const d of held) this.release(d);
  }

  usage(): Usage {
    const times = [...this.tags.values()];
    return { bytes: this.bytes, tags: this.tags.size, lastPushMs: times.length ? Math.max(...times) : undefined };
  }

  static from(scan: RepositoryScan): RepositoryUsage {
    const u = new RepositoryUsage();
    for (const m of scan.manifests) u.addManifest(m.digest, m.size, m.blobs);
    for (const t of scan.tags) u.tags.set(t.tag, t.pushedAtMs);
    return u;
  }
}

export class UsageTracker {
  readonly #repos = new Map<string, RepositoryUsage>();
  /** Repositories being rescanned, and whether they were written meanwhile. */
  readonly #scanning = new Map<string, boolean>();
  #rescan: Promise<void> | undefined;

  constructor(private readonly stores: { driver: StorageDriver; blobs: BlobStore; catalog: CatalogStore }) {}

  usage(repository: string): Usage {
    return this.#repos.get(repository)?.usage() ?? { bytes: 0, tags: 0, lastPushMs: undefined };
  }

  /** Every repository's usage, by name. */
  all(): Map<string, Usage> {
    return new Map([...this.#repos].map(([name, u]) => [name, u.usage()]));
  }

  /** Bytes `blobs` (and the manifest `digest` of `size`, when given) would add to the repository. */
  growth(repository: string, blobs: readonly HeldBlob[]): number {
    const counted = this.#repos.get(repository)?.counted;
    const seen = new Set<string>();
    let n = 0;
    for (const b of blobs) {
      if (seen.has(b.digest) || counted?.has(b.digest)) continue;
      seen.add(b.digest);
      n += b.size;
    }
    return n;
  }

  /** Whether the repository holds `digest` (a manifest, config or layer). */
  holds(repository: string, digest: string): boolean {
    return this.#repos.get(repository)?.counted.has(digest) ?? false;
  }

  manifestPushed(repository: string, digest: string, size: number, blobs: readonly HeldBlob[], tags: readonly string[], atMs: number): void {
    const u = this.#entry(repository);
    u.addManifest(digest, size, blobs);
    for (const t of tags) u.tags.set(t, atMs);
  }

  tagDeleted(repository: string, tag: string): void {
    this.#entry(repository).tags.delete(tag);
  }

  manifestDeleted(repository: string, digest: string, tags: readonly string[]): void {
    const u = this.#entry(repository);
    u.removeManifest(digest);
    for (const t of tags) u.tags.delete(t);
  }

  /** Recounts every repository from storage (one rescan at a time; a second call waits for the running one). */
  rescan(): Promise<void> {
    this.#rescan ??= this.#rescanAll().finally(() => (this.#rescan = undefined));
    return this.#rescan;
  }

  /** Recounts one repository (after retention deleted in it). */
  async rescanRepository(repository: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      this.#scanning.set(repository, false);
      const scan = await scanRepository(this.stores.driver, this.stores.blobs, repository);
      const written = this.#scanning.get(repository);
      this.#scanning.delete(repository);
      this.#repos.set(repository, RepositoryUsage.from(scan));
      if (!written) return;
    }
  }

  async #rescanAll(): Promise<void> {
    const names = await this.stores.catalog.repositories();
    for (const name of names) await this.rescanRepository(name);
    const present = new Set(names);
    for (const name of [...this.#repos.keys()]) if (!present.has(name) && !this.#scanning.has(name)) this.#repos.delete(name);
  }

  #entry(repository: string): RepositoryUsage {
    if (this.#scanning.has(repository)) this.#scanning.set(repository, true);
    let u = this.#repos.get(repository);
    if (!u) {
      u = new RepositoryUsage();
      this.#repos.set(repository, u);
    }
    return u;
  }
}
