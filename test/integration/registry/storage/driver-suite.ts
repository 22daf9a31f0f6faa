/**
 * The one storage driver suite: every driver runs it (see drivers.test.ts), the way Distribution runs its
 * `testsuites` against each driver. A driver states how to open it, how to open a second driver over the same
 * bytes (a restart, or another process), and one way to make a commit fail.
 */
import { Writable } from 'node:stream';
import type { StorageDriver, Writer } from '../../../../src/registry/storage/driver.js';

export interface DriverFactory {
  /** A new driver over empty storage. */
  open(): Promise<StorageDriver>;
  /** A new driver over the same storage as `driver` (as after a restart, or in another process). */
  reopen(driver: StorageDriver): Promise<StorageDriver>;
  /** Prepares storage so that a commit to the returned path fails. */
  failingCommitTarget(driver: StorageDriver): Promise<string>;
  /** Whether the driver must claim durability (acknowledged writes survive a crash). */
  durable: boolean;
  /** Whether the driver has the optional `sendRange` (otherwise blobs are served through `reader`). */
  sendRange: boolean;
  /** Removes what `open` created. */
  cleanUp?(): Promise<void>;
}

async function* chunks(...parts: Array<string | Buffer | Error>): AsyncGenerator<Buffer> {
  for (const p of parts) {
    if (p instanceof Error) throw p;
    yield Buffer.from(p);
  }
}

async function readAll(stream: AsyncIterable<unknown> | undefined): Promise<string | undefined> {
  if (!stream) return undefined;
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  return Buffer.concat(out).toString();
}

async function text(d: StorageDriver, path: string): Promise<string | undefined> {
  return (await d.get(path))?.toString();
}

/** A writer of `parts` at `path`, appended in one call. */
async function upload(d: StorageDriver, path: string, ...parts: string[]): Promise<Writer> {
  const w = await d.writer(path, 'create');
  await w.append(chunks(...parts));
  return w;
}

/** Defines the suite for one driver. */
export function describeDriver(name: string, factory: DriverFactory): void {
  describe(`storage driver suite: ${name}`, () => {
    let d: StorageDriver;
    beforeEach(async () => {
      d = await factory.open();
    });
    afterAll(async () => factory.cleanUp?.());

    test('states its name and whether it is durable', () => {
      expect(d.name).toBe(name);
      expect(d.durable).toBe(factory.durable);
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

      test('a path cannot be both a file and a folder', async () => {
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

    describe('upload writers', () => {
      test('append adds to the end and returns the count; reopening continues where it stopped', async () => {
        const w = await d.writer('u/data', 'create');
        expect(w.size).toBe(0);
        expect(await w.append(chunks('ab', 'cd'))).toBe(4);
        expect(w.size).toBe(4);
        await w.close();
        const again = (await d.writer('u/data', 'append'))!;
        expect(again.size).toBe(4);
        expect(await again.append(chunks('ef'))).toBe(2);
        expect(await readAll(await again.readBack?.())).toBe(again.readBack ? 'abcdef' : undefined);
        await again.commit('done/file');
        expect(await text(d, 'done/file')).toBe('abcdef');
      });

      test('a failed append leaves the upload as it was', async () => {
        const w = await upload(d, 'u/data', 'keep');
        await expect(w.append(chunks('more', 'and more', new Error('client went away')))).rejects.toThrow('client went away');
        expect(w.size).toBe(4);
        await w.close();
        const again = (await d.writer('u/data', 'append'))!;
        expect(again.size).toBe(4);
        await again.commit('kept');
        expect(await text(d, 'kept')).toBe('keep');
      });

      test('append stops when onChunk throws, and rolls back', async () => {
        const w = await d.writer('u/data', 'create');
        const stop = (c: Buffer): void => {
          if (c.toString() === 'bad') throw new Error('refused');
        };
        await expect(w.append(chunks('good', 'bad'), stop)).rejects.toThrow('refused');
        expect(w.size).toBe(0);
        await w.commit('empty');
        expect(await text(d, 'empty')).toBe('');
      });

      test('commit makes the content visible whole at its final path, creating folders and replacing', async () => {
        await d.put('final/place', 'previous');
        const w = await upload(d, 'u/data', 'new ', 'content');
        expect(await text(d, 'final/place')).toBe('previous');
        await w.commit('final/place');
        expect(await text(d, 'final/place')).toBe('new content');
        const w2 = await upload(d, 'u2/data', 'elsewhere');
        await w2.commit('a/new/folder/file');
        expect(await text(d, 'a/new/folder/file')).toBe('elsewhere');
      });

      test('a finished writer refuses more work; closing it again is harmless', async () => {
        const w = await upload(d, 'u/data', 'x');
        await w.commit('out');
        await expect(w.append(chunks('y'))).rejects.toThrow();
        await expect(w.commit('out2')).rejects.toThrow();
        await w.close();
        expect(await d.get('out2')).toBeUndefined();
        expect(await text(d, 'out')).toBe('x');
      });

      test('cancel discards the upload: nothing is visible, nothing can reopen it', async () => {
        const w = await upload(d, 'u/data', 'secret bytes');
        await w.cancel();
        await w.close();
        expect(await d.writer('u/data', 'append')).toBeUndefined();
        expect(await d.get('u/data')).toBeUndefined();
      });

      test('a failed commit shows nothing at the target, and the upload can still be cancelled', async () => {
        const target = await factory.failingCommitTarget(d);
        const w = await upload(d, 'u/data', 'partial?');
        await expect(w.commit(target)).rejects.toThrow();
        expect(await d.get(target)).toBeUndefined();
        await w.cancel();
        expect(await d.writer('u/data', 'append')).toBeUndefined();
      });

      test('create starts an upload over, empty', async () => {
        await (await upload(d, 'u/data', 'first try')).close();
        const w = await d.writer('u/data', 'create');
        expect(w.size).toBe(0);
        await w.close();
        expect((await d.writer('u/data', 'append'))?.size).toBe(0);
      });

      test('concurrent commits of the same content to one path all succeed', async () => {
        const writers = await Promise.all([1, 2, 3, 4].map((i) => upload(d, `c${i}/data`, 'same ', 'content')));
        await Promise.all(writers.map((w) => w.commit('blobs/same')));
        expect(await text(d, 'blobs/same')).toBe('same content');
      });
    });

    describe('another driver over the same storage (a restart, or another process)', () => {
      test('sees what was put, committed and appended', async () => {
        await d.put('p', 'put');
        await (await upload(d, 'u/data', 'committed')).commit('blob');
        const open = await upload(d, 'v/data', 'acknowledged');
        // no close: the process died with its writer open
        const other = await factory.reopen(d);
        expect(await text(other, 'p')).toBe('put');
        expect(await text(other, 'blob')).toBe('committed');
        const resumed = (await other.writer('v/data', 'append'))!;
        expect(resumed.size).toBe('acknowledged'.length);
        await resumed.append(chunks(' and more'));
        await resumed.commit('resumed');
        expect(await text(d, 'resumed')).toBe('acknowledged and more');
        await open.close();
      });

      test('nothing of a cancelled upload or a failed commit shows there', async () => {
        await (await upload(d, 'u/data', 'cancelled')).cancel();
        const target = await factory.failingCommitTarget(d);
        const failed = await upload(d, 'w/data', 'failed');
        await expect(failed.commit(target)).rejects.toThrow();
        await failed.cancel();
        const other = await factory.reopen(d);
        expect(await other.writer('u/data', 'append')).toBeUndefined();
        expect(await other.writer('w/data', 'append')).toBeUndefined();
        expect(await other.get(target)).toBeUndefined();
      });
    });
  });
}
