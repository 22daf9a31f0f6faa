/** The driver suite, part 2: upload writers, and a second driver over the same storage (see driver-suite.ts). */
import type { StorageDriver } from '../../../../src/registry/storage/driver.js';
import { chunks, readAll, text, upload, type DriverFactory } from './driver-suite-kit.js';

export function writerTests(factory: DriverFactory): void {
  let d: StorageDriver;
  beforeEach(async () => {
    d = await factory.open();
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

    test('commit makes the content visible whole at its final path, creating folders and replacing (or keeping)', async () => {
      await d.put('final/place', 'previous');
      const w = await upload(d, 'u/data', 'new ', 'content');
      expect(await text(d, 'final/place')).toBe('previous');
      await w.commit('final/place');
      expect(await text(d, 'final/place')).toBe(factory.commitReplaces ? 'new content' : 'previous');
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
}
