/**
 * The storage check behind /readyz: what an error means, how often the storage is really probed, how long an
 * ENOSPC a request met is reported, and a storage that breaks and recovers (a filesystem root replaced by a file).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsDriver } from '../../../../src/registry/storage/drivers/filesystem.js';
import { MemoryDriver } from '../../../../src/registry/storage/drivers/memory.js';
import { StorageHealth, stateOfError } from '../../../../src/registry/storage/health.js';
import { countingDriver } from '../../../helpers/counting-driver.js';

const errno = (code: string, syscall?: string) => Object.assign(new Error(`${code}: something`), { code, syscall });

test.each([
  ['ENOSPC', errno('ENOSPC', 'write'), { status: 'full', reason: 'the storage is full (ENOSPC)' }],
  ['EDQUOT', errno('EDQUOT'), { status: 'full', reason: 'the storage is full (EDQUOT)' }],
  ['EROFS', errno('EROFS', 'open'), { status: 'unavailable', reason: 'storage check failed: EROFS (open)' }],
  ['a network error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'Error' }), { status: 'unavailable', reason: 'storage check failed: Error: connect ECONNREFUSED 127.0.0.1:9' }],
])('%s means %j', (_name, err, state) => {
  expect(stateOfError(err, 7)).toEqual({ ...state, checkedAt: 7 });
});

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('probes are cached: at most one check per interval however often /readyz asks', async () => {
  const { driver, calls } = countingDriver(new MemoryDriver());
  const c = clock();
  const h = new StorageHealth(driver, { checkEveryMs: 5000, now: c.now });
  for (let i = 0; i < 10; i++) expect((await h.state()).status).toBe('ok');
  expect(calls.filter((x) => x.method === 'put')).toHaveLength(1);
  c.advance(5000);
  await h.state();
  expect(calls.filter((x) => x.method === 'put')).toHaveLength(2);
  expect(await driver.list('health')).toEqual([]); // the probe file is deleted again
});

test('an ENOSPC a request met is reported as full for fullHoldMs, then ok again', async () => {
  const c = clock();
  const h = new StorageHealth(new MemoryDriver(), { checkEveryMs: 1000, fullHoldMs: 30_000, now: c.now });
  h.noteError(errno('EIO'));
  expect((await h.state()).status).toBe('ok');
  h.noteError(errno('ENOSPC'));
  c.advance(10_000);
  expect(await h.state()).toMatchObject({ status: 'full', reason: 'a write hit ENOSPC 10s ago' });
  c.advance(20_000);
  expect((await h.state()).status).toBe('ok');
});

test('a storage root that breaks is unavailable (with the reason) until it is repaired', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-health-'));
  const root = join(dir, 'data');
  try {
    const c = clock();
    const h = new StorageHealth(await FsDriver.open(root), { checkEveryMs: 1000, now: c.now });
    expect((await h.state()).status).toBe('ok');
    await rm(root, { recursive: true });
    await writeFile(root, 'not a folder');
    c.advance(1000);
    expect(await h.state()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^storage check failed: (ENOTDIR|EEXIST)/) });
    await rm(root);
    await mkdir(root);
    c.advance(1000);
    expect((await h.state()).status).toBe('ok');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
