/**
 * Usage bookkeeping and retention on the storage layer (in-memory driver): usage kept incrementally equals a full
 * recount at every step (each blob once per repository, shared across manifests, separate per repository), and
 * retention run through the Lifecycle deletes tags and manifests and the usage follows.
 */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Lifecycle } from '../../../../src/registry/lifecycle/index.js';
import { MemoryDriver } from '../../../../src/registry/storage/drivers/memory.js';
import { createStorage } from '../../../../src/registry/storage/index.js';
import { requireDigest, parseDigest } from '../../../../src/registry/oci/digest.js';
import { parseReference } from '../../../../src/registry/oci/names.js';
import { MEDIA_TYPES } from '../../../../src/registry/oci/media-types.js';
import { silentLogger } from '../../../../src/shared/logger.js';
import type { PolicyLifecycle } from '../../../../src/shared/policy.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
async function* body(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

function setup(rules: PolicyLifecycle[] = []) {
  const driver = new MemoryDriver();
  const storage = createStorage(driver);
  const lifecycle = new Lifecycle({ driver, storage, rules: () => rules, logger: silentLogger() });
  const blob = async (repo: string, content: Buffer): Promise<string> => {
    const id = await storage.uploads.create(repo);
    await storage.uploads.commit(repo, id, requireDigest(sha(content)), body(content));
    return sha(content);
  };
  /** Pushes config + layers under `tag` through the same calls the manifest handler makes. */
  const image = async (repo: string, tag: string, layers: Buffer[]): Promise<{ digest: string; bytes: number }> => {
    const config = Buffer.from(`config ${repo} ${tag}`);
    const cd = await blob(repo, config);
    const lds = [];
    for (const l of layers) lds.push(await blob(repo, l));
    const m = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
        layers: lds.map((d, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: layers[i]!.length })),
      }),
    );
    const r = await storage.manifests.put(repo, parseReference(tag)!, m, MEDIA_TYPES.ociManifest, [], lifecycle.manifestGuards(repo));
    await lifecycle.manifestPushed(repo, r.digest, m, r.manifest, r.tags);
    return { digest: sha(m), bytes: m.length + config.length };
  };
  /** The incremental figures, then a full recount's, which must be equal. */
  const both = async (repo: string) => {
    const incremental = lifecycle.usage.usage(repo);
    await lifecycle.rescan();
    const recounted = lifecycle.usage.usage(repo);
    return { incremental: { bytes: incremental.bytes, tags: incremental.tags }, recounted: { bytes: recounted.bytes, tags: recounted.tags } };
  };
  return { driver, storage, lifecycle, image, both };
}

describe('usage', () => {
  it('counts each blob once per repository, incrementally as a recount does', async () => {
    const w = setup();
    const shared = Buffer.alloc(1000, 1);
    const a = await w.image('team/app', 'a', [shared, Buffer.alloc(300, 2)]);
    const b = await w.image('team/app', 'b', [shared]);
    let u = await w.both('team/app');
    expect(u.incremental).toEqual(u.recounted);
    expect(u.incremental).toEqual({ bytes: 1000 + 300 + a.bytes + b.bytes, tags: 2 });
    // the same layer in another repository counts there too
    const c = await w.image('team/other', 'c', [shared]);
    expect((await w.both('team/other')).incremental).toEqual({ bytes: 1000 + c.bytes, tags: 1 });
    // deleting a manifest releases what only it held
    const deleted = await w.storage.manifests.delete('team/app', parseReference(a.digest)!);
    w.lifecycle.manifestDeleted('team/app', deleted.digest!, deleted.tags);
    u = await w.both('team/app');
    expect(u.incremental).toEqual(u.recounted);
    expect(u.incremental).toEqual({ bytes: 1000 + b.bytes, tags: 1 });
  });
});

describe('retention through the lifecycle', () => {
  it('deletes the old tags and their manifests, keeps protected ones, and the usage follows', async () => {
    const rules: PolicyLifecycle[] = [{ repository: 'team/app', immutableTags: ['v*'], retention: { keepLast: 1, keepTags: ['stable'] } }];
    const w = setup(rules);
    const pushed: Record<string, string> = {};
    for (const tag of ['v1', 'old', 'stable', 'new']) {
      pushed[tag] = (await w.image('team/app', tag, [Buffer.from(`layer ${tag}`)])).digest;
      await new Promise((r) => setTimeout(r, 5));
    }
    const dry = await w.lifecycle.runRetention({ dryRun: true });
    expect(dry).toMatchObject([{ repository: 'team/app', dryRun: true, tags: ['old'], manifests: [pushed.old] }]);
    expect(await w.storage.manifests.tags('team/app')).toEqual(['new', 'old', 'stable', 'v1']);
    const [real] = await w.lifecycle.runRetention();
    expect(real).toMatchObject({ dryRun: false, tags: ['old'], manifests: [pushed.old] });
    expect(await w.storage.manifests.tags('team/app')).toEqual(['new', 'stable', 'v1']);
    await expect(w.storage.manifests.get('team/app', parseReference(pushed.old!)!)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    const u = await w.both('team/app');
    expect(u.incremental).toEqual(u.recounted);
    expect(u.incremental.tags).toBe(3);
    expect((await w.storage.manifests.resolve('team/app', parseReference('v1')!)).digest).toEqual(parseDigest(pushed.v1!));
  });
});
