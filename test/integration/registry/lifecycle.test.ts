/**
 * Issue 12, the registry side of Repository lifecycle, against a real `berth serve` with its access policy's
 * `lifecycle` section (what the operator renders from Repository spec.immutableTags, spec.quota and
 * spec.retention): immutable tags refused with DENIED 409 (the same digest accepted again), quotas refused with
 * DENIED 403 naming quota and usage before bytes are written, and retention deleting tags (`berth retention`, its
 * dry run, and the schedule) so that `berth gc` frees the bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from '../../helpers/berth-process.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { run, runOk, tool } from '../../helpers/tools.js';
import { basePolicy, basic, call, PASSWORDS, pushBlob, startAuthRegistry, tokenFor, type AuthRegistry } from './auth-fixture.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const LIFECYCLE = `lifecycle:
  - repository: team/immutable
    immutableTags: ['v*']
  - repository: team/quota
    quotaBytes: 3000
  - repository: team/retention
    retention: { keepLast: 2, keepTags: [stable] }
  - repository: team/dry
    retention: { keepLast: 1, dryRun: true }
`;

/** A manifest of one layer and a config, both pushed first; returns the manifest bytes. */
async function imageManifest(url: string, repo: string, token: string, layer: Buffer): Promise<Buffer> {
  const layerDigest = await pushBlob(url, repo, layer, token);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] } }));
  const configDigest = await pushBlob(url, repo, config, token);
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
}

const putManifest = (url: string, repo: string, ref: string, token: string, body: Buffer) =>
  call(url, 'PUT', `/v2/${repo}/manifests/${ref}`, token, body, { 'Content-Type': OCI_MANIFEST });

const errorOf = (text: string): { code: string; message: string; detail?: Record<string, unknown> } =>
  (JSON.parse(text) as { errors: Array<{ code: string; message: string; detail?: Record<string, unknown> }> }).errors[0]!;

async function metric(url: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? undefined : Number(m.split(' ').at(-1));
}

async function tags(url: string, repo: string, token: string): Promise<string[]> {
  const res = await call(url, 'GET', `/v2/${repo}/tags/list`, token);
  return ((JSON.parse(res.text) as { tags: string[] }).tags ?? []).sort();
}

describe('repository lifecycle on a real berth serve', () => {
  let r: AuthRegistry;
  const token = (repo: string): Promise<string> => tokenFor(r.url, [`repository:${repo}:pull,push,delete`], basic('alice', PASSWORDS.alice));

  beforeAll(async () => {
    r = await startAuthRegistry({ policy: `${await basePolicy()}${LIFECYCLE}`, storage: { lifecycle: { retentionInterval: '1h' } } });
  });
  afterAll(async () => {
    await r?.stop();
  });

  describe('immutable tags', () => {
    const repo = 'team/immutable';
    it('accept a tag once and the same digest again, refuse another digest with DENIED 409, and refuse deleting it', async () => {
      const t = await token(repo);
      const one = await imageManifest(r.url, repo, t, Buffer.from('immutable one\n'));
      const two = await imageManifest(r.url, repo, t, Buffer.from('immutable two\n'));
      expect((await putManifest(r.url, repo, 'v1', t, one)).status).toBe(201);
      expect((await putManifest(r.url, repo, 'v1', t, one)).status).toBe(201); // an idempotent retry
      const moved = await putManifest(r.url, repo, 'v1', t, two);
      expect(moved.status).toBe(409);
      expect(errorOf(moved.text)).toMatchObject({ code: 'DENIED', detail: { tag: 'v1', current: sha(one), pushed: sha(two) } });
      expect(errorOf(moved.text).message).toMatch(/tag v1 of team\/immutable is immutable/);
      expect((await call(r.url, 'GET', `/v2/${repo}/manifests/v1`, t)).headers.get('docker-content-digest')).toBe(sha(one));
      // a tag that matches no pattern moves freely
      expect((await putManifest(r.url, repo, 'latest', t, one)).status).toBe(201);
      expect((await putManifest(r.url, repo, 'latest', t, two)).status).toBe(201);
      // ?tag= on a push by digest is checked the same way
      const byDigest = await call(r.url, 'PUT', `/v2/${repo}/manifests/${sha(two)}?tag=v1`, t, two, { 'Content-Type': OCI_MANIFEST });
      expect(byDigest.status).toBe(409);
      // deleting the tag, or the manifest it points at, would let it be pushed again: refused
      expect((await call(r.url, 'DELETE', `/v2/${repo}/manifests/v1`, t)).status).toBe(409);
      expect((await call(r.url, 'DELETE', `/v2/${repo}/manifests/${sha(one)}`, t)).status).toBe(409);
      expect((await call(r.url, 'DELETE', `/v2/${repo}/manifests/latest`, t)).status).toBe(202);
      expect(await metric(r.url, /^berth_lifecycle_refusals_total\{reason="immutable"\}/)).toBe(4);
    });

    it('crane: retagging onto an immutable tag fails with the registry\'s message; the same digest succeeds', async () => {
      const crane = tool('crane');
      const cfg = await mkdtemp(join(tmpdir(), 'berth-crane-'));
      const env = { DOCKER_CONFIG: cfg };
      try {
        await runOk(crane, ['auth', 'login', r.host, '-u', 'alice', '-p', PASSWORDS.alice, '--insecure'], { env });
        const t = await token(repo);
        const other = await imageManifest(r.url, repo, t, Buffer.from('crane other\n'));
        expect((await putManifest(r.url, repo, 'other', t, other)).status).toBe(201);
        const moved = await run(crane, ['tag', `${r.host}/${repo}:other`, 'v1', '--insecure'], { env });
        expect(moved.code).not.toBe(0);
        expect(moved.stderr).toMatch(/DENIED: tag v1 of team\/immutable is immutable/);
        const v1 = (await runOk(crane, ['digest', `${r.host}/${repo}:v1`, '--insecure'], { env })).trim();
        await runOk(crane, ['tag', `${r.host}/${repo}@${v1}`, 'v1', '--insecure'], { env });
        expect((await runOk(crane, ['digest', `${r.host}/${repo}:v1`, '--insecure'], { env })).trim()).toBe(v1);
      } finally {
        await rm(cfg, { recursive: true, force: true });
      }
    });

    it('apply as soon as the policy changes (no restart)', async () => {
      const repo2 = 'team/later';
      const t = await token(repo2);
      const one = await imageManifest(r.url, repo2, t, Buffer.from('later one\n'));
      const two = await imageManifest(r.url, repo2, t, Buffer.from('later two\n'));
      expect((await putManifest(r.url, repo2, 'rel-1', t, one)).status).toBe(201);
      await r.writePolicy(`${await basePolicy()}${LIFECYCLE}  - repository: team/later\n    immutableTags: ['rel-?']\n`);
      // until the new policy is in force, pushing the other digest moves the tag; then it is refused
      let status = 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && status !== 409; ) {
        const current = (await call(r.url, 'HEAD', `/v2/${repo2}/manifests/rel-1`, t)).headers.get('docker-content-digest');
        status = (await putManifest(r.url, repo2, 'rel-1', t, current === sha(one) ? two : one)).status;
        if (status !== 409) await new Promise((res) => setTimeout(res, 100));
      }
      expect(status).toBe(409);
    });
  });

  describe('quota', () => {
    const repo = 'team/quota';
    it('counts what the repository holds and refuses a push that would cross it, naming quota and usage', async () => {
      const t = await token(repo);
      const manifest = await imageManifest(r.url, repo, t, Buffer.alloc(1000, 1));
      expect((await putManifest(r.url, repo, 'a', t, manifest)).status).toBe(201);
      const used = await metric(r.url, /^berth_repository_bytes\{repository="team\/quota"\}/);
      // the layer, the config and the manifest, each once
      expect(used).toBeGreaterThan(1000);
      expect(used).toBeLessThan(2000);
      expect(await metric(r.url, /^berth_repository_quota_bytes\{repository="team\/quota"\}/)).toBe(3000);

      // a monolithic upload whose Content-Length does not fit is refused before a byte is stored
      const big = Buffer.alloc(2500, 2);
      const mono = await call(r.url, 'POST', `/v2/${repo}/blobs/uploads/?digest=${sha(big)}`, t, big, { 'Content-Type': 'application/octet-stream' });
      expect(mono.status).toBe(403);
      const err = errorOf(mono.text);
      expect(err.code).toBe('DENIED');
      expect(err.message).toMatch(/repository team\/quota would exceed its quota: it holds .* of its quota of 2\.9 KiB \(3000 bytes\), and this push adds 2\.4 KiB \(2500 bytes\)/);
      expect(err.detail).toMatchObject({ quotaBytes: 3000, usageBytes: used, pushBytes: 2500 });
      expect((await call(r.url, 'HEAD', `/v2/${repo}/blobs/${sha(big)}`, t)).status).toBe(404);
      const uploads = (await readdir(join(r.dir, 'data', 'uploads')).catch(() => [])).filter((n) => n !== '_slots');
      expect(uploads).toEqual([]);

      // a streamed PATCH (no length) is cut when it crosses, and the session is gone
      const start = await call(r.url, 'POST', `/v2/${repo}/blobs/uploads/`, t);
      expect(start.status).toBe(202);
      const location = start.headers.get('location')!;
      const patch = await call(r.url, 'PATCH', location, t, big, { 'Content-Type': 'application/octet-stream' });
      expect(patch.status).toBe(403);
      expect(errorOf(patch.text).code).toBe('DENIED');
      expect((await call(r.url, 'GET', location, t)).status).toBe(404);

      // each layer fits alone, the manifest naming both does not: refused at the manifest PUT
      const l1 = Buffer.alloc(900, 3);
      const l2 = Buffer.alloc(900, 4);
      const d1 = await pushBlob(r.url, repo, l1, t);
      const d2 = await pushBlob(r.url, repo, l2, t);
      const cfg = Buffer.from('{"architecture":"amd64","os":"linux"}');
      const dc = await pushBlob(r.url, repo, cfg, t);
      const two = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: dc, size: cfg.length },
          layers: [d1, d2].map((digest) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: 900 })),
        }),
      );
      const refused = await putManifest(r.url, repo, 'b', t, two);
      expect(refused.status).toBe(403);
      expect(errorOf(refused.text).message).toMatch(/would exceed its quota/);
      expect((await call(r.url, 'GET', `/v2/${repo}/manifests/b`, t)).status).toBe(404);

      // a new tag on a manifest the repository holds adds nothing: allowed
      expect((await putManifest(r.url, repo, 'a-again', t, manifest)).status).toBe(201);
      expect(await metric(r.url, /^berth_repository_tags\{repository="team\/quota"\}/)).toBe(2);
      expect(await metric(r.url, /^berth_http_limit_hits_total\{limit="repository_quota"\}/)).toBe(3);
      expect(await metric(r.url, /^berth_lifecycle_refusals_total\{reason="quota"\}/)).toBe(3);

      // deleting the image frees the quota at once
      expect((await call(r.url, 'DELETE', `/v2/${repo}/manifests/${sha(manifest)}`, t)).status).toBe(202);
      expect(await metric(r.url, /^berth_repository_bytes\{repository="team\/quota"\}/)).toBe(0);
      expect((await putManifest(r.url, repo, 'b', t, two)).status).toBe(201);
    });
  });

  describe('retention', () => {
    const repo = 'team/retention';
    it('berth retention --dry-run reports, berth retention deletes the old tags and their manifests, berth gc frees the bytes', async () => {
      const t = await token(repo);
      const layers: string[] = [];
      const digests: string[] = [];
      for (const tag of ['t1', 'stable', 't2', 't3', 't4']) {
        const layer = Buffer.from(`retention layer ${tag}\n`);
        layers.push(sha(layer));
        const m = await imageManifest(r.url, repo, t, layer);
        digests.push(sha(m));
        expect((await putManifest(r.url, repo, tag, t, m)).status).toBe(201);
        await new Promise((res) => setTimeout(res, 20)); // distinct push times
      }
      const config = join(r.dir, 'config.yaml');
      const dry = await run(process.execPath, [CLI, 'retention', '--config', config, '--storage', join(r.dir, 'data'), '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('would delete tag team/retention:t2');
      expect(dry.stdout).toContain('would delete tag team/retention:t1');
      expect(dry.stdout).not.toContain('team/retention:stable');
      expect(dry.stdout).toContain('team/dry: would delete 0 tags');
      expect(await tags(r.url, repo, t)).toEqual(['stable', 't1', 't2', 't3', 't4']);

      const real = await run(process.execPath, [CLI, 'retention', '--config', config, '--storage', join(r.dir, 'data')]);
      expect(real.code).toBe(0);
      expect(real.stdout).toContain('team/retention: deleted 2 tags, 2 manifests');
      expect(await tags(r.url, repo, t)).toEqual(['stable', 't3', 't4']);
      expect((await call(r.url, 'GET', `/v2/${repo}/manifests/${digests[0]}`, t)).status).toBe(404);
      expect((await call(r.url, 'GET', `/v2/${repo}/manifests/${digests[1]}`, t)).status).toBe(200);

      const gc = await run(process.execPath, [CLI, 'gc', '--config', config, '--storage', join(r.dir, 'data'), '--grace-period', '0s']);
      expect(gc.code).toBe(0);
      const stored = async (d: string): Promise<boolean> =>
        (await readdir(join(r.dir, 'data', 'blobs', 'sha256', d.slice(7, 9))).catch(() => [] as string[])).includes(d.slice(7));
      expect(await stored(layers[0]!)).toBe(false); // t1's layer
      expect(await stored(layers[2]!)).toBe(false); // t2's layer
      expect(await stored(layers[1]!)).toBe(true); // stable's layer
      expect(await stored(layers[4]!)).toBe(true);
    });
  });
});

describe('retention on the schedule of berth serve', () => {
  let r: AuthRegistry;
  afterAll(async () => {
    await r?.stop();
  });

  it('deletes expired tags every storage.lifecycle.retentionInterval, and a dryRun rule only counts', async () => {
    r = await startAuthRegistry({ policy: `${await basePolicy()}${LIFECYCLE}`, storage: { lifecycle: { retentionInterval: '500ms' } } });
    const t = await tokenFor(r.url, ['repository:team/retention:pull,push', 'repository:team/dry:pull,push'], basic('alice', PASSWORDS.alice));
    for (const repo of ['team/retention', 'team/dry']) {
      for (const tag of ['a', 'b', 'c']) {
        const m = await imageManifest(r.url, repo, t, Buffer.from(`${repo} ${tag}\n`));
        expect((await putManifest(r.url, repo, tag, t, m)).status).toBe(201);
        await new Promise((res) => setTimeout(res, 20));
      }
    }
    let left: string[] = [];
    for (let i = 0; i < 60; i++) {
      left = await tags(r.url, 'team/retention', t);
      if (left.length === 2) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(left).toEqual(['b', 'c']);
    // cumulative: runs that saw all three tags each count the two that would go
    let counted: number | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && !(counted && counted >= 2); ) {
      counted = await metric(r.url, /^berth_retention_tags_deleted_total\{repository="team\/dry",dry_run="true"\}/);
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(counted).toBeGreaterThanOrEqual(2);
    expect(await tags(r.url, 'team/dry', t)).toEqual(['a', 'b', 'c']);
  });
});
