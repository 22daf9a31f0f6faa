/**
 * Garbage collection on the storage layer (in-memory driver, and the filesystem driver for the lease; in the "s3
 * storage" jest project all of it on the S3 driver against versitygw): what is kept
 * and what is swept for images, indexes, referrers, untagged manifests, blobs shared across repositories, uploads
 * in progress; dry runs; the lease; a crashed run's trash; a push racing a sweep.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryDriver } from '../../../../src/registry/storage/drivers/memory.js';
import { FsDriver } from '../../../../src/registry/storage/drivers/filesystem.js';
import type { StorageDriver } from '../../../../src/registry/storage/driver.js';
import { createStorage, type Storage } from '../../../../src/registry/storage/index.js';
import { requireDigest, type Digest } from '../../../../src/registry/oci/digest.js';
import { MEDIA_TYPES } from '../../../../src/registry/oci/media-types.js';
import { collectGarbage, type GcPolicy } from '../../../../src/registry/storage/gc/collector.js';
import { acquireLease } from '../../../../src/registry/storage/gc/lock.js';
import { condemn } from '../../../../src/registry/storage/gc/sweep.js';
import { blobPath } from '../../../../src/registry/storage/paths.js';
import { S3Driver } from '../../../../src/registry/storage/drivers/s3.js';
import { s3ServerFromEnv, s3TestConfig } from '../../../helpers/s3-env.js';
import { storageDriverFromEnv } from '../../../helpers/storage-env.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function* body(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

interface World {
  driver: StorageDriver;
  s: Storage;
}

const onS3 = storageDriverFromEnv() === 's3';
const opened: S3Driver[] = [];
afterAll(() => opened.forEach((d) => d.destroy()));

/** A new store: in memory, or under a new prefix of the test bucket in the "s3 storage" project. */
async function world(): Promise<World> {
  const driver = onS3 ? await S3Driver.open(s3TestConfig(s3ServerFromEnv())) : new MemoryDriver();
  if (driver instanceof S3Driver) opened.push(driver);
  return { driver, s: createStorage(driver) };
}

/** Long enough for what was written before it to be older than a collection started after it, at the driver's resolution. */
const olderThanNow = (d: StorageDriver): Promise<unknown> => sleep(5 + 2 * (d.mtimeResolutionMs ?? 0));

async function blob(w: World, repo: string, content: string): Promise<string> {
  const bytes = Buffer.from(content);
  const id = await w.s.uploads.create(repo);
  await w.s.uploads.commit(repo, id, requireDigest(sha(bytes)), body(bytes));
  return sha(bytes);
}

const desc = (mediaType: string, digest: string, size = 1) => ({ mediaType, digest, size });

/** Pushes an image (config + layers) and returns the manifest digest. */
async function image(w: World, repo: string, tag: string | undefined, layers: string[], extra: object = {}): Promise<string> {
  const config = await blob(w, repo, `config of ${layers.join(',')} ${JSON.stringify(extra)}`);
  const layerDigests = [];
  for (const l of layers) layerDigests.push(await blob(w, repo, l));
  const m = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: desc('application/vnd.oci.image.config.v1+json', config),
    layers: layerDigests.map((d) => desc('application/vnd.oci.image.layer.v1.tar', d)),
    ...extra,
  };
  return put(w, repo, tag, m, MEDIA_TYPES.ociManifest);
}

async function put(w: World, repo: string, tag: string | undefined, m: object, type: string): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(m));
  const digest = sha(bytes);
  const ref = tag ? { kind: 'tag' as const, tag } : { kind: 'digest' as const, digest: requireDigest(digest) };
  await w.s.manifests.put(repo, ref, bytes, type);
  return digest;
}

async function index(w: World, repo: string, tag: string | undefined, children: string[]): Promise<string> {
  const m = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: children.map((d) => desc(MEDIA_TYPES.ociManifest, d)) };
  return put(w, repo, tag, m, MEDIA_TYPES.ociIndex);
}

const stored = async (w: World, digest: string) => (await w.driver.stat(blobPath(requireDigest(digest)))) !== undefined;

async function gc(w: World, policy: Partial<GcPolicy> = {}) {
  await olderThanNow(w.driver); // every blob so far is older than the collection's start
  return collectGarbage({ driver: w.driver, blobs: w.s.blobs, catalog: w.s.catalog }, { policy: { gracePeriodMs: 0, ...policy } });
}

const layersOf = async (w: World, digest: string): Promise<string[]> => {
  const m = JSON.parse((await w.s.blobs.read(requireDigest(digest)))!.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
  return [m.config.digest, ...m.layers.map((l) => l.digest)];
};

interface Case {
  name: string;
  policy?: Partial<GcPolicy>;
  /** Builds the store; returns the digests that must stay and those that must go. */
  build(w: World): Promise<{ kept: string[]; swept: string[] }>;
}

const cases: Case[] = [
  {
    name: 'a tagged image keeps its manifest, config and layers',
    async build(w) {
      const m = await image(w, 'a', 'v1', ['l1', 'l2']);
      return { kept: [m, ...(await layersOf(w, m))], swept: [] };
    },
  },
  {
    name: 'an image deleted by digest goes whole; a blob it shared with another repository stays',
    async build(w) {
      const gone = await image(w, 'a', 'v1', ['shared', 'only-a']);
      const other = await image(w, 'b', 'v1', ['shared']);
      const goneBlobs = await layersOf(w, gone);
      await w.s.manifests.delete('a', { kind: 'digest', digest: requireDigest(gone) });
      return { kept: [other, sha('shared')], swept: [gone, goneBlobs[0]!, sha('only-a')] };
    },
  },
  {
    name: 'untagged manifests are kept by default',
    async build(w) {
      const m = await image(w, 'a', 'v1', ['l1']);
      await w.s.manifests.delete('a', { kind: 'tag', tag: 'v1' });
      return { kept: [m, sha('l1')], swept: [] };
    },
  },
  {
    name: 'untagged manifests past the age go when the policy says so',
    policy: { untaggedMaxAgeMs: 1 },
    async build(w) {
      const m = await image(w, 'a', 'v1', ['l1']);
      const kept = await image(w, 'a', 'v2', ['l2']);
      await w.s.manifests.delete('a', { kind: 'tag', tag: 'v1' });
      return { kept: [kept, sha('l2')], swept: [m, ...(await layersOf(w, m))] };
    },
  },
  {
    name: 'the untagged children of a tagged index stay, with their blobs',
    policy: { untaggedMaxAgeMs: 1 },
    async build(w) {
      const amd = await image(w, 'a', undefined, ['amd']);
      const arm = await image(w, 'a', undefined, ['arm']);
      const idx = await index(w, 'a', 'v1', [amd, arm]);
      return { kept: [idx, amd, arm, sha('amd'), sha('arm')], swept: [] };
    },
  },
  {
    name: 'an untagged referrer of a kept manifest stays, and so does the untagged subject of a kept referrer',
    policy: { untaggedMaxAgeMs: 1 },
    async build(w) {
      const subject = await image(w, 'a', 'v1', ['base']);
      const sig = await image(w, 'a', undefined, ['sig'], { subject: desc(MEDIA_TYPES.ociManifest, subject) });
      const old = await image(w, 'a', undefined, ['old']);
      const sbom = await image(w, 'a', 'sbom', ['sbom'], { subject: desc(MEDIA_TYPES.ociManifest, old) });
      const lone = await image(w, 'a', undefined, ['lone']);
      return { kept: [subject, sig, sha('sig'), old, sha('old'), sbom], swept: [lone, ...(await layersOf(w, lone))] };
    },
  },
  {
    name: 'an unreferenced blob older than the grace period goes, a younger one stays',
    policy: { gracePeriodMs: 60_000 },
    async build(w) {
      const young = await blob(w, 'a', 'just uploaded');
      return { kept: [young], swept: [] };
    },
  },
  {
    name: 'an unreferenced blob with no grace period goes, and its link with it',
    async build(w) {
      return { kept: [], swept: [await blob(w, 'a', 'orphan')] };
    },
  },
];

test.each(cases)('$name', async ({ policy, build }) => {
  const w = await world();
  const { kept, swept } = await build(w);
  const report = await gc(w, policy);
  for (const d of kept) expect([d, await stored(w, d)]).toEqual([d, true]);
  for (const d of swept) expect([d, await stored(w, d)]).toEqual([d, false]);
  expect(report.blobsDeleted).toBe(swept.filter((d) => !kept.includes(d)).length);
  expect(await w.driver.list('gc/trash')).toEqual([]);
});

test('links to swept blobs go; an upload in progress is untouched', async () => {
  const w = await world();
  const orphan = await blob(w, 'a', 'orphan');
  const id = await w.s.uploads.create('a');
  await w.s.uploads.append('a', id, body(Buffer.from('half')));
  const report = await gc(w);
  expect(report.linksDeleted).toBe(1);
  expect(await w.s.blobs.size('a', requireDigest(orphan))).toBeUndefined();
  expect(await w.s.uploads.size('a', id)).toBe(4);
});

test('a dry run reports what would go and its bytes, and changes nothing', async () => {
  const w = await world();
  const orphan = await blob(w, 'a', 'twelve bytes');
  const report = await collectGarbage(
    { driver: w.driver, blobs: w.s.blobs, catalog: w.s.catalog },
    { policy: { gracePeriodMs: -10_000 }, dryRun: true },
  );
  expect(report.deleted).toEqual([{ kind: 'blob', digest: orphan, size: 12 }]);
  expect(report.bytesFreed).toBe(12);
  expect(await stored(w, orphan)).toBe(true);
});

test('one collector at a time: a second one does nothing while the lease is held, and takes an expired one', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-gc-'));
  try {
    // the filesystem's lease (a hard link), or on S3 the bucket's (conditional writes)
    const driver = onS3 ? (await world()).driver : await FsDriver.open(root);
    const s = createStorage(driver);
    const first = await acquireLease(driver, 60_000);
    expect(first).toBeDefined();
    const report = await collectGarbage({ driver, blobs: s.blobs, catalog: s.catalog }, { policy: { gracePeriodMs: 0 } });
    expect(report.ran).toBe(false);
    await first!.release();
    await driver.put('gc/lock', JSON.stringify({ owner: 'killed', expiresAt: Date.now() - 1 })); // its holder died
    const taker = await acquireLease(driver, 60_000);
    expect(taker).toBeDefined();
    expect(await acquireLease(driver, 60_000)).toBeUndefined();
    await taker!.release();
    expect(await driver.stat('gc/lock')).toBeUndefined();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a blob condemned by a run that crashed is still served, and the next run restores it', async () => {
  const w = await world();
  const m = await image(w, 'a', 'v1', ['layer']);
  const layer = requireDigest(sha('layer'));
  expect(await condemn(w.driver, blobPath(layer), Date.now() + 1000)).toBe('condemned');
  expect(await w.s.blobs.size('a', layer)).toBe(5);
  await gc(w);
  expect(await stored(w, sha('layer'))).toBe(true);
  expect(await stored(w, m)).toBe(true);
});

test('a manifest push that references a condemned blob rescues it, so the collection cannot delete it', async () => {
  const w = await world();
  const old = await image(w, 'a', 'v1', ['shared']);
  await w.s.manifests.delete('a', { kind: 'digest', digest: requireDigest(old) });
  const shared: Digest = requireDigest(sha('shared'));
  expect(await condemn(w.driver, blobPath(shared), Date.now() + 1000)).toBe('condemned');
  const m = await image(w, 'a', 'v2', ['shared']);
  expect(await stored(w, sha('shared'))).toBe(true);
  expect(await stored(w, m)).toBe(true);
});

test('a manifest acknowledged between the mark and the condemning of its layer keeps the layer (the rescan)', async () => {
  const w = await world();
  const old = await image(w, 'a', 'v1', ['shared']);
  await w.s.manifests.delete('a', { kind: 'digest', digest: requireDigest(old) });
  const shared = blobPath(requireDigest(sha('shared')));
  let pushed: string | undefined;
  // the push lands just before the collector moves the (then unreferenced) layer to the trash
  const racing = new Proxy(w.driver, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'move') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return async (from: string, to: string) => {
        if (from === shared && !pushed) {
          // as a client that found the layer with HEAD: no upload, just the manifest
          const [config, layer] = await layersOf(w, old);
          const m = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: desc('application/vnd.oci.image.config.v1+json', config!), layers: [desc('application/vnd.oci.image.layer.v1.tar', layer!)], annotations: { v: '2' } };
          pushed = await put(w, 'a', 'v2', m, MEDIA_TYPES.ociManifest);
        }
        return target.move(from, to);
      };
    },
  });
  await olderThanNow(w.driver);
  await collectGarbage({ driver: racing, blobs: w.s.blobs, catalog: w.s.catalog }, { policy: { gracePeriodMs: 0 } });
  expect(pushed).toBeDefined();
  expect(await stored(w, sha('shared'))).toBe(true);
  expect(await stored(w, pushed!)).toBe(true);
});
