/**
 * Crash points: a `berth serve` process that collects garbage every 20 ms while a client pushes and deletes images
 * is killed with SIGKILL at a random moment, again and again (BERTH_GC_CRASH_POINTS, default 100), on one storage
 * folder. After each restart every acknowledged manifest pulls with all its blobs and correct digests, and every
 * blob file in the store (and in the collector's trash) hashes to its name: nothing partial is ever visible.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { corruptBlobs, deleteImage, onDisk, pullImage, pushImage, type PushedImage } from '../../helpers/gc-client.js';

/** Which of the image's files are on disk (tag, revision, manifest bytes), to tell a lost write from a test bug. */
async function diagnose(storage: string, image: PushedImage): Promise<string> {
  const hex = image.digest.slice(7);
  const repo = join(storage, 'repositories', ...image.repo.split('/'), '_manifests');
  const tag = await readFile(join(repo, 'tags', image.tag), 'utf8').catch(() => 'missing');
  const revision = await readFile(join(repo, 'revisions', 'sha256', hex), 'utf8').then(() => 'present', () => 'missing');
  return `(tag: ${tag}, revision: ${revision}, bytes on disk: ${await onDisk(storage, image.digest)})`;
}

const POINTS = Number(process.env.BERTH_GC_CRASH_POINTS ?? 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
let config: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-gc-crash-'));
  config = join(root, 'config.yaml');
  // a lease shorter than the restart, so a killed collector's lease has expired when the next process starts
  await writeFile(config, 'storage:\n  gc: { interval: 20ms, gracePeriod: 1s, lease: 150ms }\n');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Pushes (and sometimes deletes) until the process dies; returns what was acknowledged. */
async function workUntilKilled(server: BerthProcess, acked: PushedImage[], deleted: Set<string>, n: { i: number }): Promise<void> {
  for (;;) {
    try {
      const image = await pushImage(server.url, `crash/r${n.i % 3}`, `t${n.i++}`, [Math.floor(Math.random() * 6)]);
      acked.push(image);
      if (acked.length > 4 && Math.random() < 0.4) {
        const victim = acked[Math.floor(Math.random() * acked.length)]!;
        if (!deleted.has(victim.digest)) {
          deleted.add(victim.digest); // a delete cut by the kill may still have taken effect: never checked again
          await deleteImage(server.url, victim);
        }
      }
    } catch {
      return; // the process was killed mid-request: that push (or delete) was not acknowledged
    }
  }
}

test(`${POINTS} kill -9 points during pushes and garbage collection lose no acknowledged write`, async () => {
  const storage = join(root, 'data');
  const acked: PushedImage[] = [];
  const deleted = new Set<string>();
  const n = { i: 0 };
  const problems: string[] = [];
  const gc = { runs: 0, blobs: 0 };
  for (let point = 0; point < POINTS; point++) {
    const server = await startBerth({ storage, config });
    // every acknowledged, not deleted image is intact after the restart
    for (const image of acked) {
      if (deleted.has(image.digest)) continue;
      const problem = await pullImage(server.url, image);
      if (problem) problems.push(`after kill ${point}: ${problem} ${await diagnose(storage, image)}`);
    }
    const before = acked.length;
    const work = workUntilKilled(server, acked, deleted, n);
    // a random moment after at least one acknowledged push (so every point has both pushes and collections behind it)
    const deadline = Date.now() + 10_000;
    while (acked.length === before && Date.now() < deadline) await sleep(5);
    await sleep(Math.random() * 300);
    server.child.kill('SIGKILL');
    await work;
    await server.stop();
    for (const line of server.logs) {
      if (line.message !== 'garbage collection finished') continue;
      gc.runs++;
      gc.blobs += Number(line.blobsDeleted);
    }
    expect(problems).toEqual([]);
    if (point % 10 === 9) {
      expect(await corruptBlobs(storage)).toEqual([]);
      process.stderr.write(`gc-crash: ${point + 1} points, ${acked.length} acknowledged images, ${gc.runs} collections\n`);
    }
  }
  expect(await corruptBlobs(storage)).toEqual([]);
  expect(gc.runs).toBeGreaterThan(0);
  console.log(
    `gc-crash: ${POINTS} kill points, ${acked.length} acknowledged images (${deleted.size} deleted), all intact; ` +
      `${gc.runs} collections finished between kills, ${gc.blobs} blobs deleted`,
  );
}, 1_500_000);
