/**
 * Scrub under a real `berth serve` on a folder: a clean store reports zero; a layer whose bytes rot on disk is
 * reported by `berth scrub` (exit 1) with the digest and both repositories that link it, quarantined, no longer
 * served (HEAD and GET answer 404 BLOB_UNKNOWN), and pushing it again heals the image. The scheduled scrub of
 * `storage.scrub` finds the same and says so in its log and metrics.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { pullImage, pushImage, sharedLayer, sha } from '../../helpers/gc-client.js';

const run = promisify(execFile);

/** Runs `berth scrub` and returns its exit code and output (it exits 1 when it finds corruption). */
async function scrub(storage: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, 'scrub', '--storage', storage, ...args]);
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout + e.stderr };
  }
}

function blobFile(storage: string, digest: string, below = ''): string {
  const hex = digest.slice('sha256:'.length);
  return join(storage, below, 'blobs', 'sha256', hex.slice(0, 2), hex);
}

describe('berth scrub', () => {
  let server: BerthProcess;
  beforeAll(async () => {
    server = await startBerth();
  });
  afterAll(() => server?.stop());

  test('reports zero on a clean store, then finds, reports and quarantines a rotten layer; a push heals it', async () => {
    const a = await pushImage(server.url, 'team/a', 'v1', [7]);
    const b = await pushImage(server.url, 'team/b', 'v1', [7]);
    const clean = await scrub(server.storage);
    expect(clean).toEqual({ code: 0, stdout: expect.stringMatching(/^scrub: 7 blobs \(\d+ bytes, [\d.]+ MiB\) checked in [\d.]+s: no corrupt blob\n$/) });

    const layer = sha(sharedLayer(7));
    const file = blobFile(server.storage, layer);
    const rotten = Buffer.from(await readFile(file));
    rotten[100] = rotten[100]! ^ 0x01; // one flipped bit
    await writeFile(file, rotten);

    const dry = await scrub(server.storage, '--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain(`corrupt blob ${layer} (${rotten.length} bytes hash to ${sha(rotten)}), linked by team/a, team/b: would be quarantined`);
    expect((await fetch(`${server.url}/v2/team/a/blobs/${layer}`, { method: 'HEAD' })).status).toBe(200);

    const found = await scrub(server.storage, '--concurrency', '3');
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(`corrupt blob ${layer} (${rotten.length} bytes hash to ${sha(rotten)}), linked by team/a, team/b: quarantined`);
    expect(found.stdout).toMatch(/: 1 corrupt \(quarantined\)\n$/);
    expect(await readFile(blobFile(server.storage, layer, 'quarantine'))).toEqual(rotten);
    for (const repo of ['team/a', 'team/b']) {
      expect((await fetch(`${server.url}/v2/${repo}/blobs/${layer}`, { method: 'HEAD' })).status).toBe(404);
      const get = await fetch(`${server.url}/v2/${repo}/blobs/${layer}`);
      expect(get.status).toBe(404);
      expect(((await get.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('BLOB_UNKNOWN');
    }
    expect(await pullImage(server.url, a)).toBe(`team/a:v1: blob ${layer} 404`);

    await pushImage(server.url, 'team/c', 'v1', [7]); // HEAD says 404, so the client uploads the layer again
    expect(await pullImage(server.url, a)).toBeUndefined();
    expect(await pullImage(server.url, b)).toBeUndefined();
    expect((await scrub(server.storage)).code).toBe(0);
  });

  test('bad arguments exit 2', async () => {
    expect((await scrub(server.storage, '--concurrency', '0')).code).toBe(2);
    expect((await scrub(server.storage, '--nope')).code).toBe(2);
  });
});

describe('storage.scrub in berth serve', () => {
  let dir: string;
  let server: BerthProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-scrub-'));
    await writeFile(join(dir, 'config.yaml'), 'storage:\n  scrub: { interval: 1s, concurrency: 2 }\n');
    server = await startBerth({ storage: join(dir, 'data'), config: join(dir, 'config.yaml') });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the scheduled scrub logs the corrupt blob with its repository, counts it, and stops serving it', async () => {
    const image = await pushImage(server.url, 'sched/app', 'v1', []);
    const layer = image.blobs[1]!;
    await writeFile(blobFile(server.storage, layer), 'not the bytes you pushed');
    const deadline = Date.now() + 20_000;
    let line: Record<string, unknown> | undefined;
    while (!(line = server.logs.find((l) => String(l.message).startsWith(`corrupt blob ${layer}`))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(line).toMatchObject({ level: 'error', digest: layer, repositories: ['sched/app'], actual: sha(Buffer.from('not the bytes you pushed')) });
    expect(String(line!.message)).toContain('linked by sched/app: quarantined');
    expect((await fetch(`${server.url}/v2/sched/app/blobs/${layer}`, { method: 'HEAD' })).status).toBe(404);
    await expect(stat(blobFile(server.storage, layer, 'quarantine'))).resolves.toBeDefined();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('berth_scrub_corrupt_blobs_total')).toBe(1);
    expect(value('berth_scrub_blobs_checked_total')).toBeGreaterThanOrEqual(3);
    expect(value('berth_scrub_bytes_checked_total')).toBeGreaterThan(0);
    expect(value('berth_scrub_last_run_timestamp_seconds')).toBeGreaterThan(0);
  });
});
