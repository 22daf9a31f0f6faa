/**
 * Manifests, tags and referrers of a repository. Manifest bytes are stored exactly as pushed, as a blob; the
 * repository keeps a revision link holding the media type it was pushed with, tag files holding a digest, and one
 * file per referrer under its subject.
 */
import { RegistryError } from '../errors.js';
import { digestOf, formatDigest, parseDigest, type Digest } from '../oci/digest.js';
import { parseManifest, type Descriptor, type ParsedManifest } from '../oci/manifest.js';
import type { Reference } from '../oci/names.js';
import type { BlobStore } from './blobs.js';
import { byteCache } from './byte-cache.js';
import type { StorageDriver } from './driver.js';
import { readReferrersPage, type ReferrersPage, type ReferrersQuery } from './referrers.js';
import { blobPath, manifestRevisionPath, referrerPath, referrersDir, repositoryPath, tagPath, tagsDir } from './paths.js';

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

export interface PutResult {
  digest: Digest;
  subject: Digest | undefined;
  manifest: ParsedManifest;
  /** Tags written (or already pointing at the digest). */
  tags: string[];
}

/** What a repository's lifecycle rules add to a push (lifecycle/): immutable tags, and a check before any write. */
export interface PutGuards {
  /** Tags that may be pushed once (a different digest later is refused with DENIED, 409). */
  immutable?: (tag: string) => boolean;
  /** Runs after validation, before anything is written (the quota); throws to refuse. */
  admit?: (digest: Digest, bytes: Buffer, manifest: ParsedManifest) => Promise<void>;
}

/** The refusal of a write that would move or delete an immutable tag. */
export function immutableTagError(repository: string, tag: string, detail: Record<string, string> = {}): RegistryError {
  return new RegistryError(
    'DENIED',
    `tag ${tag} of ${repository} is immutable (spec.immutableTags): it cannot be pushed with another digest or deleted`,
    { tag, ...detail },
    409,
  );
}

/** Manifest bytes kept in memory, at most (manifests are immutable by digest; tags and revisions are re-read). */
export const MANIFEST_CACHE_BYTES = 32 * 1024 * 1024;

export class ManifestStore {
  readonly #cache = byteCache(MANIFEST_CACHE_BYTES);

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
  ) {}

  /** Resolves a reference to a digest in the repository, or MANIFEST_UNKNOWN. */
  async resolve(repository: string, ref: Reference): Promise<{ digest: Digest; mediaType: string }> {
    const digest = ref.kind === 'digest' ? ref.digest : await this.#tagTarget(repository, ref.tag);
    const mediaType = digest && (await this.driver.get(manifestRevisionPath(repository, digest)));
    if (!digest || mediaType === undefined) throw await this.#unknown(repository, ref);
    return { digest, mediaType: mediaType.toString('utf8') };
  }

  async get(repository: string, ref: Reference): Promise<StoredManifest> {
    const { digest, mediaType } = await this.resolve(repository, ref);
    const key = formatDigest(digest);
    const cached = this.#cache.get(key);
    const bytes = cached ?? (await this.blobs.read(digest));
    if (!bytes) throw await this.#unknown(repository, ref);
    // bytes read from storage are checked (cheap: manifests are small), so a corrupted one is never served
    if (!cached && digestOf(bytes, digest.algorithm).hex !== digest.hex) {
      throw new RegistryError('MANIFEST_UNKNOWN', 'the stored manifest is corrupt (its bytes do not match its digest); push it again', {
        digest: key,
      });
    }
    this.#cache.set(key, bytes);
    return { digest, mediaType, bytes };
  }

  /**
   * Stores a manifest after checking it: valid, digest matching a by-digest reference, and every referenced blob
   * and child manifest present in the repository. Then content, revision, referrer entry and tags, in that order,
   * so a crash never leaves a tag pointing at nothing. `extraTags` (`?tag=` on a push by digest) point at the
   * same digest.
   */
  async put(
    repository: string,
    ref: Reference,
    bytes: Buffer,
    contentType: string | undefined,
    extraTags: string[] = [],
    guards: PutGuards = {},
  ): Promise<PutResult> {
    const digest = ref.kind === 'digest' ? digestOf(bytes, ref.digest.algorithm) : digestOf(bytes);
    if (ref.kind === 'digest' && digest.hex !== ref.digest.hex) {
      throw new RegistryError('DIGEST_INVALID', 'manifest digest does not match the reference', {
        digest: formatDigest(ref.digest),
      });
    }
    const manifest = parseManifest(bytes, contentType);
    await this.#checkReferences(repository, manifest);
    const tags = ref.kind === 'tag' ? [ref.tag, ...extraTags] : extraTags;
    for (const tag of tags) await this.#checkImmutable(repository, tag, digest, guards.immutable);
    await guards.admit?.(digest, bytes, manifest);
    await this.blobs.put(digest, bytes);
    await this.driver.put(manifestRevisionPath(repository, digest), manifest.mediaType);
    if (manifest.subject) {
      const entry = referrerDescriptor(digest, bytes.length, manifest);
      await this.driver.put(referrerPath(repository, manifest.subject, digest), JSON.stringify(entry));
    }
    for (const tag of tags) await this.#writeTag(repository, tag, digest, guards.immutable);
    await this.#verifyStored(repository, digest, bytes, manifest);
    return { digest, subject: manifest.subject, manifest, tags };
  }

  /** DENIED (409) when `tag` is immutable and points at another digest now. */
  async #checkImmutable(repository: string, tag: string, digest: Digest, immutable: PutGuards['immutable']): Promise<void> {
    if (!immutable?.(tag)) return;
    const current = await this.#tagTarget(repository, tag);
    if (current && formatDigest(current) !== formatDigest(digest)) {
      throw immutableTagError(repository, tag, { current: formatDigest(current), pushed: formatDigest(digest) });
    }
  }

  /**
   * Points a tag at `digest`. An immutable tag is created only when absent, with the driver's exclusive create where
   * it has one (two replicas racing to push different digests: exactly one wins), and left as it is (push time
   * included) when it already points at `digest`.
   */
  async #writeTag(repository: string, tag: string, digest: Digest, immutable: PutGuards['immutable']): Promise<void> {
    const path = tagPath(repository, tag);
    const text = formatDigest(digest);
    if (!immutable?.(tag)) return this.driver.put(path, text);
    const current = await this.#tagTarget(repository, tag);
    if (!current) {
      if (!this.driver.create) return this.driver.put(path, text);
      if (await this.driver.create(path, text)) return;
    }
    await this.#checkImmutable(repository, tag, digest, immutable);
  }

  /**
   * The last step before a push is acknowledged (the garbage collector's safety rests on it, see gc/collector.ts):
   * everything the manifest needs is at its own path now. Its own bytes and revision are written again if a
   * collection condemned them meanwhile; a layer or child that is gone fails the push (MANIFEST_BLOB_UNKNOWN).
   */
  async #verifyStored(repository: string, digest: Digest, bytes: Buffer, manifest: ParsedManifest): Promise<void> {
    if (!(await this.blobs.present(digest))) await this.driver.put(blobPath(digest), bytes);
    const revision = manifestRevisionPath(repository, digest);
    if (!(await this.driver.stat(revision))) await this.driver.put(revision, manifest.mediaType);
    const missing: RegistryError[] = [];
    for (const blob of manifest.blobs) if (!(await this.blobs.present(blob))) missing.push(blobUnknown(blob));
    for (const child of manifest.children) {
      if (!(await this.driver.stat(manifestRevisionPath(repository, child)))) missing.push(blobUnknown(child));
    }
    if (missing.length > 0) throw new ManifestReferencesError(missing);
  }

  /**
   * Deletes a tag only, or (by digest) the manifest, every tag pointing to it and its referrer entry. An immutable
   * tag, or a manifest one points at, is refused (DENIED, 409).
   */
  async delete(repository: string, ref: Reference, immutable?: (tag: string) => boolean): Promise<{ digest?: Digest; tags: string[] }> {
    if (ref.kind === 'tag') {
      if (immutable?.(ref.tag) && (await this.#tagTarget(repository, ref.tag))) throw immutableTagError(repository, ref.tag);
      if (!(await this.driver.delete(tagPath(repository, ref.tag)))) throw await this.#unknown(repository, ref);
      return { tags: [ref.tag] };
    }
    const { digest } = await this.resolve(repository, ref);
    const pointing: string[] = [];
    for (const tag of await this.tags(repository)) {
      const target = await this.#tagTarget(repository, tag);
      if (target && target.hex === digest.hex && target.algorithm === digest.algorithm) pointing.push(tag);
    }
    const fixed = immutable && pointing.find(immutable);
    if (fixed !== undefined) throw immutableTagError(repository, fixed, { digest: formatDigest(digest) });
    for (const tag of pointing) await this.driver.delete(tagPath(repository, tag));
    const bytes = await this.blobs.read(digest);
    await this.driver.delete(manifestRevisionPath(repository, digest));
    const subject = bytes && subjectOf(bytes);
    if (subject) await this.driver.delete(referrerPath(repository, subject, digest));
    return { digest, tags: pointing };
  }

  /** Tags of a repository in byte order; NAME_UNKNOWN when the repository does not exist. */
  async tags(repository: string): Promise<string[]> {
    if (!(await this.driver.stat(repositoryPath(repository)))) {
      throw new RegistryError('NAME_UNKNOWN', undefined, { name: repository });
    }
    const entries = await this.driver.list(tagsDir(repository));
    return entries
      .filter((e) => !e.isDirectory)
      .map((e) => e.name)
      .sort(byteOrder);
  }

  /** One page of the referrers of `subject`, with bounded reads and memory (referrers.ts); for request paths. */
  async referrersPage(repository: string, subject: Digest, query: ReferrersQuery): Promise<ReferrersPage> {
    return readReferrersPage(this.driver, repository, subject, query);
  }

  /**
   * Every descriptor of the manifests whose subject is `subject`, in memory at once (empty for unknown subjects and
   * repositories): for maintenance, never for a request (use {@link referrersPage}).
   */
  async referrers(repository: string, subject: Digest): Promise<Descriptor[]> {
    const dir = referrersDir(repository, subject);
    const out: Descriptor[] = [];
    for (const entry of await this.driver.list(dir)) {
      const raw = await this.driver.get(`${dir}/${entry.name}`);
      if (raw) out.push(JSON.parse(raw.toString('utf8')) as Descriptor);
    }
    return out.sort((a, b) => byteOrder(a.digest, b.digest));
  }

  async #tagTarget(repository: string, tag: string): Promise<Digest | undefined> {
    const raw = await this.driver.get(tagPath(repository, tag));
    return raw && parseDigest(raw.toString('utf8').trim());
  }

  async #checkReferences(repository: string, manifest: ParsedManifest): Promise<void> {
    const missing: RegistryError[] = [];
    for (const blob of manifest.blobs) {
      if ((await this.blobs.size(repository, blob)) === undefined) missing.push(blobUnknown(blob));
    }
    for (const child of manifest.children) {
      if (!(await this.driver.stat(manifestRevisionPath(repository, child)))) missing.push(blobUnknown(child));
    }
    if (missing.length > 0) throw new ManifestReferencesError(missing);
  }

  async #unknown(repository: string, ref: Reference): Promise<RegistryError> {
    if (!(await this.driver.stat(repositoryPath(repository)))) {
      return new RegistryError('NAME_UNKNOWN', undefined, { name: repository });
    }
    const detail = ref.kind === 'tag' ? { tag: ref.tag } : { digest: formatDigest(ref.digest) };
    return new RegistryError('MANIFEST_UNKNOWN', undefined, detail);
  }
}

/** Several MANIFEST_BLOB_UNKNOWN errors at once: one per missing digest. */
export class ManifestReferencesError extends RegistryError {
  constructor(readonly errors: RegistryError[]) {
    super('MANIFEST_BLOB_UNKNOWN', errors[0]!.message, errors[0]!.detail);
  }
}

function blobUnknown(d: Digest): RegistryError {
  return new RegistryError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: formatDigest(d) });
}

function referrerDescriptor(digest: Digest, size: number, m: ParsedManifest): Descriptor {
  return {
    mediaType: m.mediaType,
    digest: formatDigest(digest),
    size,
    ...(m.artifactType === undefined ? {} : { artifactType: m.artifactType }),
    ...(m.annotations === undefined ? {} : { annotations: m.annotations }),
  };
}

function subjectOf(bytes: Buffer): Digest | undefined {
  try {
    const json = JSON.parse(bytes.toString('utf8')) as { subject?: { digest?: string } };
    return typeof json.subject?.digest === 'string' ? parseDigest(json.subject.digest) : undefined;
  } catch {
    return undefined;
  }
}

/** Plain byte order (code unit order of ASCII), as the conformance suite's `last` checks expect. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
