/** The filesystem driver's contract, on a real temp directory. */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsDriver } from '../../../../src/registry/storage/fs-driver.js';

let d: FsDriver;
beforeEach(async () => {
  d = new FsDriver(await mkdtemp(join(tmpdir(), 'berth-driver-')));
});

async function* chunks(...parts: Array<string | Error>): AsyncGenerator<Buffer> {
  for (const p of parts) {
    if (p instanceof Error) throw p;
    yield Buffer.from(p);
  }
}

test('write creates folders, replaces whole files, and leaves no temp file behind', async () => {
  await d.write('a/b/c', 'one');
  await d.write('a/b/c', 'two');
  expect((await d.read('a/b/c'))?.toString()).toBe('two');
  expect(await readdir(d.abs('tmp'))).toEqual([]);
});

test('read, stat and list of what is not there', async () => {
  expect(await d.read('nope')).toBeUndefined();
  expect(await d.stat('nope/deeper')).toBeUndefined();
  expect(await d.list('nope')).toEqual([]);
  expect(await d.delete('nope')).toBe(false);
});

test('append adds to the end and returns the count', async () => {
  await d.write('f', 'ab');
  expect(await d.append('f', chunks('cd', 'ef'))).toBe(4);
  expect((await d.read('f'))?.toString()).toBe('abcdef');
});

test('a failed append leaves the file as it was', async () => {
  await d.write('f', 'keep');
  await expect(d.append('f', chunks('more', 'and more', new Error('client went away')))).rejects.toThrow('client went away');
  expect((await d.read('f'))?.toString()).toBe('keep');
});

test('append stops when onChunk throws, and rolls back', async () => {
  await d.write('f', '');
  const stop = (c: Buffer) => {
    if (c.toString() === 'bad') throw new Error('refused');
  };
  await expect(d.append('f', chunks('good', 'bad'), stop)).rejects.toThrow('refused');
  expect((await d.stat('f'))?.size).toBe(0);
});

test('reader serves an inclusive byte range', async () => {
  await d.write('f', '0123456789');
  const out: Buffer[] = [];
  for await (const c of d.reader('f', { start: 2, end: 4 })) out.push(c as Buffer);
  expect(Buffer.concat(out).toString()).toBe('234');
});

test('move renames into new folders; deleteTree removes a folder', async () => {
  await d.write('x', 'data');
  await d.move('x', 'deep/er/y');
  expect((await d.read('deep/er/y'))?.toString()).toBe('data');
  await d.deleteTree('deep');
  expect(await d.stat('deep')).toBeUndefined();
});
