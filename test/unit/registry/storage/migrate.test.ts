import { createHash } from 'node:crypto';
import { MemoryDriver } from '../../../../src/registry/storage/drivers/memory.js';
import type { StorageDriver } from '../../../../src/registry/storage/driver.js';
import { migrateStorage, type MigrationProgress } from '../../../../src/registry/storage/migrate/migrate.js';
import { migrationUploadId } from '../../../../src/registry/storage/migrate/copy.js';
import { blobPath, isValidUploadId, layerLinkPath, manifestRevisionPath, referrerPath, tagPath } from '../../../../src/registry/storage/paths.js';
import { parseDigest, type Digest } from '../../../../src/registry/oci/digest.js';
import { driverFiles } from '../../../helpers/registry-app.js';

const digestOf = (bytes: string): Digest => ({ algorithm: 'sha256', hex: createHash('sha256').update(bytes).digest('hex') });

/** A store with two repositories (one nested), tags, and a referrer, written as the stores lay it out. */
async function sourceStore(): Promise<{ driver: MemoryDriver; blobs: Digest[] }> {
  const driver = new MemoryDriver();
  const blobs: Digest[] = [];
  const blob = async (bytes: string) => {
    const d = digestOf(bytes);
    await driver.put(blobPath(d), bytes);
    blobs.push(d);
    return d;
  };
  for (const repo of ['app', 'team/api']) {
    const layer = await blob(`layer of ${repo}`);
    const manifest = await blob(`manifest of ${repo}`);
    await driver.put(layerLinkPath(repo, layer), '');
    await driver.put(manifestRevisionPath(repo, manifest), 'application/vnd.oci.image.manifest.v1+json');
    await driver.put(tagPath(repo, 'v1'), `sha256:${manifest.hex}`);
    await driver.put(tagPath(repo, 'latest'), `sha256:${manifest.hex}`);
  }
  const signature = await blob('a signature');
  await driver.put(manifestRevisionPath('app', signature), 'application/vnd.oci.image.manifest.v1+json');
  await driver.put(referrerPath('app', digestOf('manifest of app'), signature), '{"digest":"x"}');
  // not copied: an upload in flight and what garbage collection condemned
  await driver.put('uploads/0a5e4b2c-1111-4222-8333-444455556666/info.json', '{}');
  await driver.put(`gc/trash/${blobPath(digestOf('condemned'))}`, 'condemned');
  return { driver, blobs };
}

const registryFiles = async (d: StorageDriver) => (await driverFiles(d)).filter((p) => p.startsWith('blobs/') || p.startsWith('repositories/'));

async function sameContent(a: StorageDriver, b: StorageDriver): Promise<void> {
  const files = await registryFiles(a);
  expect(await registryFiles(b)).toEqual(files);
  for (const f of files) expect((await b.get(f))?.equals((await a.get(f))!)).toBe(true);
}

describe('migrateStorage', () => {
  test('copies blobs, links, referrers and tags; uploads in flight and condemned blobs stay behind', async () => {
    const { driver: from, blobs } = await sourceStore();
    const to = new MemoryDriver();
    const phases: MigrationProgress['phase'][] = [];
    const report = await migrateStorage(from, to, { onProgress: (p) => phases.at(-1) !== p.phase && phases.push(p.phase) });
    await sameContent(from, to);
    expect(await driverFiles(to, 'uploads')).toEqual([]);
    expect(await to.stat('gc')).toBeUndefined();
    expect(report).toMatchObject({
      repositories: 2,
      blobs: { copied: blobs.length, skipped: 0, total: blobs.length },
      links: { copied: 6, skipped: 0, total: 6 },
      tags: { copied: 4, skipped: 0, total: 4 },
      errors: 0,
    });
    const sizes = await Promise.all(blobs.map(async (d) => (await from.stat(blobPath(d)))!.size));
    expect(report.bytesCopied).toBe(sizes.reduce((a, b) => a + b));
    expect(phases).toEqual(['blobs', 'links', 'tags', 'done']);
  });

  test('a second run finds everything there and copies nothing (resume, catch-up)', async () => {
    const { driver: from, blobs } = await sourceStore();
    const to = new MemoryDriver();
    await migrateStorage(from, to);
    const again = await migrateStorage(from, to);
    expect(again).toMatchObject({ blobs: { copied: 0, skipped: blobs.length }, links: { copied: 0, skipped: 6 }, tags: { copied: 0, skipped: 4 }, bytesCopied: 0 });
  });

  test('a catch-up pass copies what changed: a new blob, a moved tag', async () => {
    const { driver: from, blobs } = await sourceStore();
    const to = new MemoryDriver();
    await migrateStorage(from, to);
    const newer = digestOf('manifest v2');
    await from.put(blobPath(newer), 'manifest v2');
    await from.put(manifestRevisionPath('app', newer), 'application/vnd.oci.image.manifest.v1+json');
    await from.put(tagPath('app', 'latest'), `sha256:${newer.hex}`);
    const pass = await migrateStorage(from, to);
    expect(pass).toMatchObject({ blobs: { copied: 1, skipped: blobs.length }, links: { copied: 1 }, tags: { copied: 1, skipped: 3 } });
    await sameContent(from, to);
  });

  test('prune deletes the target\'s tags and links the source no longer has (never blobs)', async () => {
    const { driver: from } = await sourceStore();
    const to = new MemoryDriver();
    await migrateStorage(from, to);
    await from.delete(tagPath('team/api', 'latest'));
    await from.delete(referrerPath('app', digestOf('manifest of app'), digestOf('a signature')));
    expect((await migrateStorage(from, to)).pruned).toBe(0);
    expect(await to.stat(tagPath('team/api', 'latest'))).toBeDefined();
    const pass = await migrateStorage(from, to, { prune: true });
    expect(pass.pruned).toBe(2);
    await sameContent(from, to);
  });

  test('a source blob whose bytes do not match its digest is reported and not copied; the rest is', async () => {
    const { driver: from, blobs } = await sourceStore();
    const bad = blobs[0]!;
    await from.put(blobPath(bad), 'flipped bits');
    const to = new MemoryDriver();
    const report = await migrateStorage(from, to, { concurrency: 2 });
    expect(report.errors).toBe(1);
    expect(report.problems).toEqual([{ item: `sha256:${bad.hex}`, message: expect.stringMatching(/hash to sha256:[0-9a-f]{64} \(12 bytes\); not copied/) }]);
    expect(await to.stat(blobPath(bad))).toBeUndefined();
    expect(report.blobs.copied).toBe(blobs.length - 1);
    expect(await driverFiles(to, 'uploads')).toEqual([]);
  });

  test('a run killed between a blob\'s commit and its session cleanup: the next run removes the session it left', async () => {
    const { driver: from, blobs } = await sourceStore();
    const to = new MemoryDriver();
    await migrateStorage(from, to);
    const left = migrationUploadId(blobs[0]!);
    await to.put(`uploads/${left}/info.json`, '{"principal":"berth storage migrate"}');
    await (await to.writer(`uploads/${left}/data`, 'create')).close();
    const other = '0a5e4b2c-1111-4222-8333-444455556666'; // a client's session at the target is not the migration's
    await to.put(`uploads/${other}/info.json`, '{}');
    const again = await migrateStorage(from, to);
    expect(again.blobs).toMatchObject({ copied: 0, skipped: blobs.length });
    expect(await driverFiles(to, 'uploads')).toEqual([`${other}/info.json`]);
  });

  test('a target blob of another size is reported, not overwritten', async () => {
    const { driver: from, blobs } = await sourceStore();
    const to = new MemoryDriver();
    await to.put(blobPath(blobs[1]!), 'x');
    const report = await migrateStorage(from, to);
    expect(report.problems).toEqual([{ item: `sha256:${blobs[1]!.hex}`, message: expect.stringMatching(/target already holds 1 bytes/) }]);
  });
});

test.each(['sha256:' + 'ab'.repeat(32), 'sha512:' + 'cd'.repeat(64)])('the upload a blob is copied through has a session id of its own: %s', (text) => {
  const d = parseDigest(text)!;
  expect(isValidUploadId(migrationUploadId(d))).toBe(true);
  expect(migrationUploadId(d)).toBe(migrationUploadId(d));
  expect(migrationUploadId(d)).not.toBe(migrationUploadId(digestOf(text)));
});
