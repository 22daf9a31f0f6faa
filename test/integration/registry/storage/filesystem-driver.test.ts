/** What only the filesystem driver promises, on a real temp directory: its files, and no temp file left behind. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsDriver, SYNC_READ_MAX } from '../../../../src/registry/storage/drivers/filesystem.js';

let root: string;
let d: FsDriver;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-driver-'));
  d = await FsDriver.open(root);
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

test('put creates folders, replaces whole files, and leaves no temp file behind', async () => {
  await d.put('a/b/c', 'one');
  await d.put('a/b/c', 'two');
  expect(await readFile(join(root, 'a/b/c'), 'utf8')).toBe('two');
  expect(await readdir(join(root, 'tmp'))).toEqual([]);
});

test.each([0, 1, SYNC_READ_MAX - 1, SYNC_READ_MAX, SYNC_READ_MAX + 1, 3 * SYNC_READ_MAX + 7])(
  'get returns a file of %d bytes whole, on either side of the blocking-read limit',
  async (size) => {
    const data = Buffer.alloc(size, 0);
    for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
    await d.put('f', data);
    expect((await d.get('f'))?.equals(data)).toBe(true);
  },
);

test('a failed put leaves no temp file behind', async () => {
  await d.put('file', 'x');
  await expect(d.put('file/under', 'y')).rejects.toThrow();
  expect(await readdir(join(root, 'tmp'))).toEqual([]);
});

test('store paths are files below the root; an upload is the file at its path until commit renames it', async () => {
  const w = await d.writer('uploads/1/data', 'create');
  await w.append(chunks('bytes'));
  expect(await readFile(join(root, 'uploads/1/data'), 'utf8')).toBe('bytes');
  await w.commit('blobs/x');
  expect(await readFile(join(root, 'blobs/x'), 'utf8')).toBe('bytes');
  expect(await readdir(join(root, 'uploads/1'))).toEqual([]);
});

test('a new root folder is created on open', async () => {
  const nested = join(root, 'not', 'yet');
  const other = await FsDriver.open(nested);
  await other.put('f', 'x');
  expect(await readFile(join(nested, 'f'), 'utf8')).toBe('x');
});
