/**
 * Garbage collection under load, with real processes: two `berth serve` processes on one storage folder (in the
 * "s3 storage" jest project: one prefix of the test bucket), each
 * collecting garbage every 100 ms (the lease lets one run at a time); two clients push new images (sharing layers
 * with images deleted before), pull acknowledged ones and delete some, over 50+ rounds with random timing. Then every
 * acknowledged tag pulls completely with correct digests from both processes, and the bytes of deleted images are
 * gone after one more collection past the grace period.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { StorageDriver } from '../../../src/registry/storage/driver.js';
import { FsDriver } from '../../../src/registry/storage/drivers/filesystem.js';
import { S3Driver } from '../../../src/registry/storage/drivers/s3.js';
import { CLI, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { deleteImage, pullImage, pushImage, type PushedImage } from '../../helpers/gc-client.js';
import { corruptStoredBlobs, storedAnywhere } from '../../helpers/gc-store.js';
import { s3ServerFromEnv, s3TestConfig } from '../../helpers/s3-env.js';
import { storageDriverFromEnv } from '../../helpers/storage-env.js';

const ROUNDS = Number(process.env.BERTH_GC_ROUNDS ?? 60);
const GRACE_S = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

let root: string;
let config: string;
let servers: BerthProcess[] = [];
/** The store the servers share (a folder, or a prefix of the test bucket in the "s3 storage" project), to inspect. */
let store: StorageDriver;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-gc-load-'));
  config = join(root, 'config.yaml');
  const gc = { interval: '100ms', gracePeriod: `${GRACE_S}s` };
  const storage = join(root, 'data');
  if (storageDriverFromEnv() === 's3') {
    const { bucket, region, endpoint, forcePathStyle, prefix } = s3TestConfig(s3ServerFromEnv());
    const s3 = { bucket, region, endpoint, forcePathStyle, prefix };
    await writeFile(config, stringify({ storage: { driver: 's3', s3, gc } }));
    store = await S3Driver.open({ ...s3TestConfig(s3ServerFromEnv()), prefix });
  } else {
    await writeFile(config, stringify({ storage: { root: storage, gc } }));
    store = await FsDriver.open(storage);
  }
  servers = [await startBerth({ storage, config }), await startBerth({ storage, config })];
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  if (store instanceof S3Driver) store.destroy();
  await rm(root, { recursive: true, force: true });
});

async function metric(s: BerthProcess, name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

test(`pushes, pulls and deletes over ${ROUNDS} rounds while two processes collect garbage`, async () => {
  const live: PushedImage[] = [];
  const deleted: PushedImage[] = [];
  const pullProblems: string[] = [];
  let n = 0;
  const client = async (id: number): Promise<void> => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const url = pick(servers).url;
      const image = await pushImage(url, `team/app${id % 2}`, `t${n++}`, [Math.floor(Math.random() * 4), 4 + Math.floor(Math.random() * 4)]);
      live.push(image);
      await sleep(Math.random() * 40);
      if (live.length > 3 && Math.random() < 0.5) {
        const victim = live.splice(Math.floor(Math.random() * (live.length - 1)), 1)[0]!;
        await deleteImage(pick(servers).url, victim);
        deleted.push(victim);
      }
      const problem = await pullImage(pick(servers).url, pick(live));
      if (problem) pullProblems.push(problem);
      await sleep(Math.random() * 40);
    }
  };
  await Promise.all([client(0), client(1)]).catch((err: unknown) => {
    // the servers' own account of a failed request
    const errors = servers.flatMap((s) => s.logs.filter((l) => l.level === 'error' || l.level === 'warn'));
    throw new Error(`${(err as Error).message}\nserver errors:\n${errors.map((l) => JSON.stringify(l)).join('\n')}`);
  });
  expect(pullProblems).toEqual([]);
  const runs = (await metric(servers[0]!, 'berth_gc_runs_total{result="ok"}')) + (await metric(servers[1]!, 'berth_gc_runs_total{result="ok"}'));
  expect(runs).toBeGreaterThan(0);

  await sleep(GRACE_S * 1000 + 200); // the last deleted images' blobs are past the grace period
  // berth gc, alongside the servers' own collections, which take the lease every 100 ms: it waits for a free moment
  // (the environment explicitly: jest's process.env, with the S3 keys, is not the one child_process reads)
  const args = [CLI, 'gc', '--config', config, '--grace-period', `${GRACE_S}s`, '--wait', '5m'];
  await promisify(execFile)(process.execPath, args, { env: { ...process.env } });
  for (const s of servers) {
    const problems = [];
    for (const image of live) problems.push(await pullImage(s.url, image));
    expect(problems.filter(Boolean)).toEqual([]);
  }
  const leftovers = [];
  for (const image of deleted) for (const d of image.unique) if (await storedAnywhere(store, d)) leftovers.push(d);
  expect(leftovers).toEqual([]);
  expect(deleted.length).toBeGreaterThan(5);
  expect(await corruptStoredBlobs(store)).toEqual([]);
  const freed = (await metric(servers[0]!, 'berth_gc_bytes_freed_total')) + (await metric(servers[1]!, 'berth_gc_bytes_freed_total'));
  console.log(`gc-load: ${ROUNDS} rounds, ${live.length} live and ${deleted.length} deleted images, ${runs} collections, ${freed} bytes freed online`);
}, 600_000); // about 2 min on S3 at load 10; a slow bucket makes it slower, never wrong
