/**
 * Blobs: content-addressed files shared by every repository, and the per-repository links that say a blob belongs
 * to a repository. A blob is readable in a repository only when it is both stored and linked there.
 *
 * Reads also find a blob that garbage collection has condemned but not yet deleted (`gc/trash/`, see gc/collector.ts):
 * a collection restores what turns out to be referenced, so a reader never sees it missing meanwhile. Checks that
 * back a write (`present`) look only at the blob's own path.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from '../errors.js';
import { formatDigest, type Digest } from '../oci/digest.js';
import type { ByteRange, PathInfo, StorageDriver, Writer } from './driver.js';
import { blobPath, layerLinkPath, trashPath } from './paths.js';

export class BlobStore {
  constructor(private readonly driver: StorageDriver) {}

  /** Size of a blob in a repository, or undefined when it is not there. */
  async size(repository: string, digest: Digest): Promise<number | undefined> {
    const [link, blob] = await Promise.all([this.driver.stat(layerLinkPath(repository, digest)), this.#stat(digest)]);
    return link && blob ? blob.size : undefined;
  }

  /** Size of a blob in a repository, or BLOB_UNKNOWN. */
  async requireSize(repository: string, digest: Digest): Promise<number> {
    const size = await this.size(repository, digest);
    if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest: formatDigest(digest) });
    return size;
  }

  /** Whether the content exists in the store at all (any repository). */
  async stored(digest: Digest): Promise<boolean> {
    return (await this.#stat(digest)) !== undefined;
  }

  /**
   * Whether the blob is at its own path now (not condemned). When it is condemned, it is first moved back (a
   * manifest push rescuing a layer from a running collection), so false means it is really gone.
   */
  async present(digest: Digest): Promise<boolean> {
    const path = blobPath(digest);
    if (await this.driver.stat(path)) return true;
    await this.driver.move(trashPath(path), path).catch(() => undefined);
    return (await this.driver.stat(path)) !== undefined;
  }

  /** Sends an inclusive byte range of a blob to `out` and ends it: straight to the socket where the driver can. */
  async send(digest: Digest, range: ByteRange, out: Writable): Promise<void> {
    const own = blobPath(digest);
    const path = (await this.driver.stat(own)) ? own : trashPath(own);
    if (this.driver.sendRange) return this.driver.sendRange(path, range, out);
    const stream = await this.driver.reader(path, range);
    if (!stream) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest: formatDigest(digest) });
    await pipeline(stream, out);
  }

  /** A URL the client may fetch a blob from directly (the driver's presigned GET), or undefined to serve it here. */
  async redirect(digest: Digest): Promise<string | undefined> {
    return this.driver.redirect?.(blobPath(digest));
  }

  /** Links a stored blob into a repository (mount, and the end of every upload). */
  async link(repository: string, digest: Digest): Promise<void> {
    await this.driver.put(layerLinkPath(repository, digest), '');
  }

  /** Removes a blob from a repository; the content stays until garbage collection. */
  async unlink(repository: string, digest: Digest): Promise<void> {
    if (!(await this.driver.delete(layerLinkPath(repository, digest)))) {
      throw new RegistryError('BLOB_UNKNOWN', undefined, { digest: formatDigest(digest) });
    }
  }

  /**
   * Makes an upload's verified content the blob `digest` (the caller checked that the bytes hash to it). Replacing
   * an existing identical blob is safe, so concurrent pushes of the same content need no lock.
   */
  async commit(upload: Writer, digest: Digest): Promise<void> {
    await upload.commit(blobPath(digest));
  }

  /** Makes verified bytes, received whole, the blob `digest` through an empty upload's writer (`commitBytes`). */
  async commitBytes(upload: Writer, digest: Digest, bytes: Buffer): Promise<void> {
    await upload.commitBytes!(blobPath(digest), bytes);
  }

  /** Writes small verified content (a manifest) into the store, unless the same bytes are there (a corrupt copy is replaced). */
  async put(digest: Digest, bytes: Uint8Array): Promise<void> {
    const stored = await this.driver.get(blobPath(digest));
    if (stored?.equals(bytes)) return;
    await this.driver.put(blobPath(digest), bytes);
  }

  /** A small blob's bytes, whole (manifests); undefined when it is not stored. */
  async read(digest: Digest): Promise<Buffer | undefined> {
    const path = blobPath(digest);
    return (await this.driver.get(path)) ?? (await this.driver.get(trashPath(path)));
  }

  async #stat(digest: Digest): Promise<PathInfo | undefined> {
    const path = blobPath(digest);
    return (await this.driver.stat(path)) ?? (await this.driver.stat(trashPath(path)));
  }
}
