/** The driver suite, part 1: whole files, reading, move and delete (see driver-suite.ts). */
import { Writable } from 'node:stream';
import type { StorageDriver } from '../../../../src/registry/storage/driver.js';
import { chunks, readAll, text, type DriverFactory } from './driver-suite-kit.js';

export function fileTests(factory: DriverFactory): void {
  let d: StorageDriver;
  beforeEach(async () => {
    d = await factory.open();
  });

  describe('whole files', () => {
    test('put creates folders and replaces whole files; get reads them', async () => {
      await d.put('a/b/c', 'one');
      await d.put('a/b/c', 'two');
      expect(await text(d, 'a/b/c')).toBe('two');
      await d.put('a/b/empty', '');
      expect(await text(d, 'a/b/empty')).toBe('');
      await d.put('a/b/empty', 'now full');
      expect(await text(d, 'a/b/empty')).toBe('now full');
      await d.put('a/b/c', '');
      expect(await text(d, 'a/b/c')).toBe('');
    });

    test('what is not there: undefined, empty or false, never an error', async () => {
      expect(await d.get('nope')).toBeUndefined();
      expect(await d.stat('nope/deeper')).toBeUndefined();
      expect(await d.list('nope')).toEqual([]);
      expect(await d.delete('nope')).toBe(false);
      expect(await d.reader('nope')).toBeUndefined();
      expect(await d.writer('nope', 'append')).toBeUndefined();
    });

    test('stat tells files from folders', async () => {
      await d.put('dir/file', '12345');
      expect(await d.stat('dir/file')).toMatchObject({ size: 5, isDirectory: false });
      expect(await d.stat('dir')).toMatchObject({ isDirectory: true });
      expect(typeof (await d.stat('dir/file'))?.mtimeMs).toBe('number');
      expect(await d.get('dir')).toBeUndefined();
    });

    test('list gives the direct entries of a folder', async () => {
      await d.put('l/one', '1');
      await d.put('l/two', '2');
      await d.put('l/sub/three', '3');
      await d.put('l/sub/deeper/four', '4');
      const entries = (await d.list('l')).sort((x, y) => x.name.localeCompare(y.name));
      expect(entries).toEqual([
        { name: 'one', isDirectory: false },
        { name: 'sub', isDirectory: true },
        { name: 'two', isDirectory: false },
      ]);
    });

    test('equivalent spellings name one path; .. is refused', async () => {
      await d.put('x/y', 'same');
      expect(await text(d, 'x//y')).toBe('same');
      expect(await text(d, './x/./y/')).toBe('same');
      await expect(d.get('x/../../etc/passwd')).rejects.toThrow(/invalid storage path/);
      await expect(d.put('../escape', 'no')).rejects.toThrow(/invalid storage path/);
    });

    test('a path cannot be both a file and a folder (where the driver says so)', async () => {
      if (!factory.filesOrFolders) return;
      await d.put('f', 'file');
      await expect(d.put('f/child', 'x')).rejects.toThrow();
      await d.put('g/child', 'x');
      await expect(d.put('g', 'x')).rejects.toThrow();
      expect(await text(d, 'f')).toBe('file');
      expect(await text(d, 'g/child')).toBe('x');
    });

    test('concurrent puts of one path leave one whole value', async () => {
      const values = Array.from({ length: 8 }, (_, i) => String(i).repeat(10_000));
      await Promise.all(values.map((v) => d.put('race', v)));
      expect(values).toContain(await text(d, 'race'));
    });
  });

  describe('reading', () => {
    test('reader streams a file, or an inclusive byte range of it', async () => {
      await d.put('r', '0123456789');
      expect(await readAll(await d.reader('r'))).toBe('0123456789');
      expect(await readAll(await d.reader('r', { start: 2, end: 4 }))).toBe('234');
      expect(await readAll(await d.reader('r', { start: 9, end: 9 }))).toBe('9');
      expect(await readAll(await d.reader('r', { start: 0, end: 0 }))).toBe('0');
    });

    test('reader of a large file appended in many chunks is byte-exact', async () => {
      const data = Buffer.alloc(3 * 1024 * 1024 + 7);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 251;
      const w = await d.writer('big/data', 'create');
      const parts = Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) => data.subarray(i * 65_536, (i + 1) * 65_536));
      expect(await w.append(chunks(...parts))).toBe(data.length);
      await w.commit('big/blob');
      const start = 1_000_003;
      const end = 2_500_000;
      const want = data.subarray(start, end + 1);
      const raw: Buffer[] = [];
      for await (const c of (await d.reader('big/blob', { start, end }))!) raw.push(c as Buffer);
      expect(Buffer.concat(raw).equals(want)).toBe(true);
    });

    test('sendRange, where the driver has it, writes the range and ends the output', async () => {
      expect(typeof d.sendRange).toBe(factory.sendRange ? 'function' : 'undefined');
      if (!d.sendRange) return;
      await d.put('s', 'abcdefghij');
      const got: Buffer[] = [];
      let ended = false;
      const out = new Writable({
        write(chunk: Buffer, _enc, done) {
          got.push(Buffer.from(chunk));
          done();
        },
        final(done) {
          ended = true;
          done();
        },
      });
      await d.sendRange('s', { start: 3, end: 6 }, out);
      await new Promise((r) => setImmediate(r));
      expect(Buffer.concat(got).toString()).toBe('defg');
      expect(ended).toBe(true);
    });
  });

  describe('move and delete', () => {
    test('move renames into new folders and replaces the target; the source is gone', async () => {
      await d.put('m/x', 'data');
      await d.put('n/y', 'old');
      await d.move('m/x', 'n/y');
      expect(await text(d, 'n/y')).toBe('data');
      expect(await d.get('m/x')).toBeUndefined();
      await d.move('n/y', 'deep/er/z');
      expect(await text(d, 'deep/er/z')).toBe('data');
      await expect(d.move('m/x', 'anywhere')).rejects.toThrow();
    });

    test('delete removes a file, or a folder with everything below it', async () => {
      await d.put('t/a', '1');
      await d.put('t/b/c', '2');
      await d.put('keep', '3');
      expect(await d.delete('t/a')).toBe(true);
      expect(await d.get('t/a')).toBeUndefined();
      expect(await d.delete('t')).toBe(true);
      expect(await d.stat('t/b/c')).toBeUndefined();
      expect(await d.stat('t/b')).toBeUndefined();
      expect(await text(d, 'keep')).toBe('3');
      await expect(d.delete('')).rejects.toThrow();
    });
  });
}
