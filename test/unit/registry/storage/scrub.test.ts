/**
 * Scrub on the in-memory driver: a clean store reports zero; a corrupted layer, config or manifest is reported with
 * every repository that links it, quarantined and no longer served, and pushing the same content again heals it; a
 * dry run moves nothing; a blob stored again between the read and the move is put back.
 */
import { createHash } from 'node:crypto';
import { MemoryDriver } from '../../../../src/registry/storage/drivers/memory.js';
import { createStorage, type Storage } from '../../../../src/registry/storage/index.js';
import { requireDigest } from '../../../../src/registry/oci/digest.js';
import { MEDIA_TYPES } from '../../../../src/registry/oci/media-types.js';
import { parseReference } from '../../../../src/registry/oci/names.js';
import { blobPath, quarantinePath } from '../../../../src/registry/storage/paths.js';
import { scrubBlobs, type CorruptBlob } from '../../../../src/registry/storage/scrub/scrub.js';
import { quarantineBlob } from '../../../../src/registry/storage/scrub/quarantine.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
async function* body(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

interface World {
  driver: MemoryDriver;
  s: Storage;
}

function world(): World {
  const driver = new MemoryDriver();
  return { driver, s: createStorage(driver) };
}

async function blob(w: World, repo: string, bytes: Buffer): Promise<string> {
  const id = await w.s.uploads.create(repo);
  await w.s.uploads.commit(repo, id, requireDigest(sha(bytes)), body(bytes));
  return sha(bytes);
}

interface Image {
  manifest: string;
  config: string;
  layer: string;
  layerBytes: Buffer;
}

async function image(w: World, repo: string, tag: string, layer: string): Promise<Image> {
  const layerBytes = Buffer.from(layer.repeat(1000));
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
  const l = await blob(w, repo, layerBytes);
  const c = await blob(w, repo, configBytes);
  const m = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c, size: configBytes.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l, size: layerBytes.length }],
    }),
  );
  await w.s.manifests.put(repo, parseReference(tag)!, m, MEDIA_TYPES.ociManifest);
  return { manifest: sha(m), config: c, layer: l, layerBytes };
}

/** Overwrites a stored blob's bytes in place (what a failing disk does). */
async function corrupt(w: World, digest: string, bytes = Buffer.from('rotten bytes')): Promise<void> {
  await w.driver.put(blobPath(requireDigest(digest)), bytes);
}

const served = async (w: World, repo: string, digest: string) => (await w.s.blobs.size(repo, requireDigest(digest))) !== undefined;

test('a clean store reports zero corrupt blobs and counts every blob and byte', async () => {
  const w = world();
  const a = await image(w, 'team/a', 'v1', 'a');
  await image(w, 'team/b', 'v1', 'b');
  const r = await scrubBlobs({ driver: w.driver, catalog: w.s.catalog });
  expect(r.corrupt).toEqual([]);
  expect(r.unreadable).toEqual([]);
  expect(r.blobsChecked).toBe(5); // one config shared by both images, two layers, two manifests
  expect(r.bytesChecked).toBeGreaterThan(2 * a.layerBytes.length);
  expect(await served(w, 'team/a', a.layer)).toBe(true);
});

test('a corrupt layer shared by two repositories is reported with both, quarantined and no longer served', async () => {
  const w = world();
  const a = await image(w, 'team/a', 'v1', 'shared');
  const b = await image(w, 'team/b', 'v1', 'shared');
  expect(b.layer).toBe(a.layer);
  await image(w, 'other', 'v1', 'other');
  await corrupt(w, a.layer);
  const found: CorruptBlob[] = [];
  const r = await scrubBlobs({ driver: w.driver, catalog: w.s.catalog }, { concurrency: 3, onCorrupt: (c) => found.push(c) });
  expect(r.corrupt).toEqual([
    { digest: a.layer, actual: sha('rotten bytes'), size: 12, repositories: ['team/a', 'team/b'], quarantined: true },
  ]);
  expect(found).toEqual(r.corrupt);
  expect(await served(w, 'team/a', a.layer)).toBe(false);
  expect(await served(w, 'team/b', a.layer)).toBe(false);
  await expect(w.s.blobs.requireSize('team/a', requireDigest(a.layer))).rejects.toMatchObject({ code: 'BLOB_UNKNOWN' });
  expect((await w.driver.get(quarantinePath(blobPath(requireDigest(a.layer)))))?.toString()).toBe('rotten bytes');
  // the manifest is intact and still served; a push of the same layer heals the image
  expect((await w.s.manifests.get('team/a', parseReference('v1')!)).bytes.length).toBeGreaterThan(0);
  await blob(w, 'team/a', a.layerBytes);
  expect(await served(w, 'team/b', a.layer)).toBe(true);
  expect((await scrubBlobs({ driver: w.driver, catalog: w.s.catalog })).corrupt).toEqual([]);
});

test('a corrupt manifest is never served, and is quarantined; pushing it again heals it', async () => {
  const w = world();
  const a = await image(w, 'team/a', 'v1', 'a');
  const original = (await w.driver.get(blobPath(requireDigest(a.manifest))))!;
  await corrupt(w, a.manifest, Buffer.from(original.toString().replace('schemaVersion', 'schemaVersioN')));
  const fresh = createStorage(w.driver.share()); // another process: nothing cached
  await expect(fresh.manifests.get('team/a', parseReference('v1')!)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
  const r = await scrubBlobs({ driver: w.driver, catalog: w.s.catalog });
  expect(r.corrupt.map((c) => [c.digest, c.repositories])).toEqual([[a.manifest, ['team/a']]]);
  await expect(fresh.manifests.get('team/a', parseReference('v1')!)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
  await fresh.manifests.put('team/a', parseReference('v1')!, original, MEDIA_TYPES.ociManifest);
  expect(sha((await createStorage(w.driver.share()).manifests.get('team/a', parseReference('v1')!)).bytes)).toBe(a.manifest);
});

test('a push of a manifest whose stored copy is corrupt replaces the copy', async () => {
  const w = world();
  const a = await image(w, 'team/a', 'v1', 'a');
  const original = (await w.driver.get(blobPath(requireDigest(a.manifest))))!;
  await corrupt(w, a.manifest);
  await w.s.manifests.put('team/a', parseReference('v2')!, original, MEDIA_TYPES.ociManifest);
  expect((await scrubBlobs({ driver: w.driver, catalog: w.s.catalog })).corrupt).toEqual([]);
});

test('a dry run reports the corrupt blob and moves nothing', async () => {
  const w = world();
  const a = await image(w, 'team/a', 'v1', 'a');
  await corrupt(w, a.config);
  const r = await scrubBlobs({ driver: w.driver, catalog: w.s.catalog }, { dryRun: true });
  expect(r.corrupt.map((c) => [c.digest, c.quarantined])).toEqual([[a.config, false]]);
  expect(await w.driver.stat(blobPath(requireDigest(a.config)))).toBeDefined();
  expect(await w.driver.stat(quarantinePath(blobPath(requireDigest(a.config))))).toBeUndefined();
});

test('a blob whose right bytes were stored again before the move goes straight back', async () => {
  const w = world();
  const a = await image(w, 'team/a', 'v1', 'a');
  // scrub read rotten bytes, then a push stored the right ones: the move takes the right ones, which go back
  expect(await quarantineBlob(w.driver, requireDigest(a.layer))).toBe('replaced');
  expect(await served(w, 'team/a', a.layer)).toBe(true);
  expect(await w.driver.stat(quarantinePath(blobPath(requireDigest(a.layer))))).toBeUndefined();
  await w.driver.delete(blobPath(requireDigest(a.layer)));
  expect(await quarantineBlob(w.driver, requireDigest(a.layer))).toBe('gone');
});

test('a stop signal ends the listing early', async () => {
  const w = world();
  for (let i = 0; i < 5; i++) await image(w, 'team/a', `v${i}`, `layer ${i}`);
  const stop = new AbortController();
  const r = await scrubBlobs({ driver: w.driver, catalog: w.s.catalog }, { concurrency: 1, signal: stop.signal, onChecked: () => stop.abort() });
  expect(r.blobsChecked).toBeLessThan(3);
});
