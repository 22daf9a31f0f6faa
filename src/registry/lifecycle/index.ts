/**
 * The storage lifecycle of repositories (issue 12), as the HTTP handlers and `berth serve` use it: immutable tags,
 * quotas (checked when an upload opens or grows, when a blob is committed or mounted, and at the latest when a
 * manifest is pushed), usage bookkeeping (usage.ts), and retention on a schedule (retention-run.ts). The rules come
 * from the access policy's `lifecycle` section, which the operator renders from Repository resources.
 */
import type { Logger } from '../../shared/logger.js';
import type { PolicyLifecycle } from '../../shared/policy.js';
import { BoundError, RegistryError } from '../errors.js';
import { formatDigest, type Digest } from '../oci/digest.js';
import type { ParsedManifest } from '../oci/manifest.js';
import type { StorageDriver } from '../storage/driver.js';
import type { Storage } from '../storage/index.js';
import type { PutGuards } from '../storage/manifests.js';
import type { LifecycleMetrics } from './metrics.js';
import { quotaDecision } from './quota.js';
import { blobSize, type HeldBlob } from './repo-scan.js';
import { applyRetention, type RetentionOptions, type RetentionResult } from './retention-run.js';
import { rulesLookup, type RepositoryRules } from './rules.js';
import { UsageTracker, type Usage } from './usage.js';

export interface LifecycleDeps {
  driver: StorageDriver;
  storage: Storage;
  /** The policy's lifecycle entries in force now. */
  rules: () => readonly PolicyLifecycle[] | undefined;
  logger: Logger;
  metrics?: LifecycleMetrics;
}

/** What the registry reports about one repository (usage, and the last retention run when it has a rule). */
export interface RepositoryReport extends Usage {
  quotaBytes?: number;
  retention?: RetentionResult;
}

const NEVER = (): boolean => false;

export class Lifecycle {
  readonly usage: UsageTracker;
  readonly #rules: ReturnType<typeof rulesLookup>;
  readonly #retention = new Map<string, RetentionResult>();
  /** Whether the figures changed since {@link takeChanged} was last asked. */
  #changed = true;

  constructor(private readonly deps: LifecycleDeps) {
    this.#rules = rulesLookup(deps.rules);
    this.usage = new UsageTracker({ driver: deps.driver, blobs: deps.storage.blobs, catalog: deps.storage.catalog });
  }

  rulesFor(repository: string): RepositoryRules | undefined {
    return this.#rules.get(repository);
  }

  immutable(repository: string): (tag: string) => boolean {
    return this.#rules.get(repository)?.immutable ?? NEVER;
  }

  /** Guards of a manifest push: immutable tags, and the quota over what the manifest adds. */
  manifestGuards(repository: string): PutGuards {
    const rules = this.#rules.get(repository);
    if (!rules) return {};
    return {
      immutable: rules.immutable,
      admit: async (digest: Digest, bytes: Buffer, manifest: ParsedManifest) => {
        if (rules.quotaBytes === undefined) return;
        const held = await this.#held(digest, bytes, manifest);
        this.#checkQuota(repository, rules.quotaBytes, this.usage.growth(repository, held));
      },
    };
  }

  /** Records an accepted manifest push. */
  async manifestPushed(repository: string, digest: Digest, bytes: Buffer, manifest: ParsedManifest, tags: readonly string[]): Promise<void> {
    const held = await this.#held(digest, bytes, manifest);
    const [self, ...blobs] = held;
    this.usage.manifestPushed(repository, self!.digest, self!.size, blobs, tags, Date.now());
    this.#observe(repository);
  }

  tagDeleted(repository: string, tag: string): void {
    this.usage.tagDeleted(repository, tag);
    this.#observe(repository);
  }

  manifestDeleted(repository: string, digest: Digest, tags: readonly string[]): void {
    this.usage.manifestDeleted(repository, formatDigest(digest), tags);
    this.#observe(repository);
  }

  /**
   * Before an upload opens or grows: refused when the repository is already at its quota, or when the bytes
   * declared (`bytes`: the whole blob or session size so far plus this chunk) would cross it.
   */
  checkUpload(repository: string, bytes?: number): void {
    const quota = this.#rules.get(repository)?.quotaBytes;
    if (quota === undefined) return;
    this.#checkQuota(repository, quota, bytes === undefined || bytes === 0 ? undefined : bytes);
  }

  /**
   * How much an upload session may hold before it crosses the quota, and the error then (undefined: no quota). The
   * blob may turn out to be one the repository holds already; the session is refused anyway, as its bytes would
   * not fit were it new.
   */
  uploadRoom(repository: string): { bytes: number; error: (size: number) => BoundError } | undefined {
    const quota = this.#rules.get(repository)?.quotaBytes;
    if (quota === undefined) return undefined;
    const bytes = Math.max(0, quota - this.usage.usage(repository).bytes);
    return { bytes, error: (size) => this.quotaError(repository, size) };
  }

  /** The check a blob commit runs once its digest and size are known. */
  blobAdmission(repository: string): ((size: number, digest: Digest) => Promise<void>) | undefined {
    if (this.#rules.get(repository)?.quotaBytes === undefined) return undefined;
    return (size, digest) => this.checkBlob(repository, digest, size);
  }

  /** Before a blob is committed or mounted into the repository (nothing to add when it holds the blob already). */
  async checkBlob(repository: string, digest: Digest, size?: number): Promise<void> {
    const quota = this.#rules.get(repository)?.quotaBytes;
    if (quota === undefined) return;
    const d = formatDigest(digest);
    const bytes = size ?? (await blobSize(this.deps.driver, d)) ?? 0;
    this.#checkQuota(repository, quota, this.usage.growth(repository, [{ digest: d, size: bytes }]));
  }

  /**
   * The quota refusal (403 DENIED, naming the quota and the usage); a BoundError, so an upload it stops is
   * discarded and `berth_http_limit_hits_total{limit="repository_quota"}` counts it.
   */
  quotaError(repository: string, growth: number | undefined): BoundError {
    const quota = this.#rules.get(repository)?.quotaBytes ?? 0;
    const usage = this.usage.usage(repository).bytes;
    const decision = quotaDecision({ repository, quotaBytes: quota, usageBytes: usage, growthBytes: growth ?? 1 });
    this.deps.metrics?.refusals.inc({ reason: 'quota' });
    const message = decision.ok ? `repository ${repository} is at its quota` : decision.message;
    const extra = { quotaBytes: quota, usageBytes: usage, ...(growth === undefined ? {} : { pushBytes: growth }) };
    return new BoundError('DENIED', 'spec.quota.size', 'repository_quota', message, 403, extra);
  }

  /** Counts a refusal by an immutable tag (`err` is what a manifest write threw); returns `err` to rethrow. */
  noteRefusal(err: unknown): unknown {
    if (err instanceof RegistryError && err.code === 'DENIED' && err.status === 409) this.deps.metrics?.refusals.inc({ reason: 'immutable' });
    return err;
  }

  /** Runs retention for every repository with a rule; returns what each run did (or would do). */
  async runRetention(opts: RetentionOptions = {}): Promise<RetentionResult[]> {
    const results: RetentionResult[] = [];
    for (const rules of this.#rules.all()) {
      if (!rules.retention) continue;
      try {
        const r = await applyRetention(this.deps.driver, this.deps.storage, rules, opts);
        results.push(r);
        this.#retention.set(rules.repository, r);
        this.deps.metrics?.retentionTags.inc({ repository: r.repository, dry_run: String(r.dryRun) }, r.tags.length);
        if (!r.dryRun) this.deps.metrics?.retentionManifests.inc({ repository: r.repository }, r.manifests.length);
        if (r.tags.length > 0) {
          this.deps.logger.info(r.dryRun ? 'retention would delete tags' : 'retention deleted tags', {
            repository: r.repository,
            tags: r.tags.slice(0, 50),
            count: r.tags.length,
            manifests: r.manifests.length,
          });
        }
        if (!r.dryRun && (r.tags.length > 0 || r.manifests.length > 0)) await this.usage.rescanRepository(r.repository);
        this.#observe(r.repository);
      } catch (err) {
        this.deps.logger.error('retention failed', { repository: rules.repository, error: (err as Error).message });
      }
    }
    return results;
  }

  async rescan(): Promise<void> {
    await this.usage.rescan();
    for (const name of this.usage.all().keys()) this.#observe(name);
  }

  /** Recounts only these repositories (those a garbage collection deleted manifests in). */
  async rescanRepositories(names: Iterable<string>): Promise<void> {
    for (const name of names) {
      await this.usage.rescanRepository(name);
      this.#observe(name);
    }
  }

  /** Usage of every repository (and the last retention run of those with a rule), by name. */
  report(): Map<string, RepositoryReport> {
    const out = new Map<string, RepositoryReport>();
    for (const [name, usage] of this.usage.all()) {
      const quota = this.#rules.get(name)?.quotaBytes;
      const retention = this.#retention.get(name);
      out.set(name, { ...usage, ...(quota === undefined ? {} : { quotaBytes: quota }), ...(retention ? { retention } : {}) });
    }
    return out;
  }

  #checkQuota(repository: string, quotaBytes: number, growth: number | undefined): void {
    const usageBytes = this.usage.usage(repository).bytes;
    if (!quotaDecision({ repository, quotaBytes, usageBytes, growthBytes: growth }).ok) throw this.quotaError(repository, growth);
  }

  async #held(digest: Digest, bytes: Buffer, manifest: ParsedManifest): Promise<HeldBlob[]> {
    const blobs: HeldBlob[] = [{ digest: formatDigest(digest), size: bytes.length }];
    for (const b of new Set(manifest.blobs.map(formatDigest))) blobs.push({ digest: b, size: (await blobSize(this.deps.driver, b)) ?? 0 });
    return blobs;
  }

  /** Whether anything changed since the last call (the report is republished only then). */
  takeChanged(): boolean {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  #observe(repository: string): void {
    this.#changed = true;
    const m = this.deps.metrics;
    if (!m) return;
    const u = this.usage.usage(repository);
    m.bytes.set({ repository }, u.bytes);
    m.tags.set({ repository }, u.tags);
    if (u.lastPushMs !== undefined) m.lastPush.set({ repository }, u.lastPushMs / 1000);
    const quota = this.#rules.get(repository)?.quotaBytes;
    if (quota !== undefined) m.quota.set({ repository }, quota);
  }
}
