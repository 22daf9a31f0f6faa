/**
 * The driver suite, part 3: what garbage collection needs of a driver (gc/collector.ts): a move keeps the file's
 * mtime, a commit onto a file already there makes its mtime the commit's, and `create` is exclusive (the lease).
 */
import type { StorageDriver } from '../../../../src/registry/storage/driver.js';
import { chunks, text, type DriverFactory } from './driver-suite-kit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function timeTests(factory: DriverFactory): void {
  let d: StorageDriver;
  /** Long enough for a later write to show a later mtime, at the driver's resolution. */
  let tick: number;
  beforeEach(async () => {
    d = await factory.open();
    tick = (d.mtimeResolutionMs ?? 0) + 30;
  });

  describe('times and exclusive create (garbage collection)', () => {
    test('a move keeps the mtime, both ways', async () => {
      await d.put('blobs/x', 'old bytes');
      const written = (await d.stat('blobs/x'))!.mtimeMs;
      await sleep(tick);
      await d.move('blobs/x', 'trash/blobs/x');
      expect((await d.stat('trash/blobs/x'))?.mtimeMs).toBe(written);
      await sleep(tick);
      await d.move('trash/blobs/x', 'blobs/x');
      expect((await d.stat('blobs/x'))?.mtimeMs).toBe(written);
      expect(await text(d, 'blobs/x')).toBe('old bytes');
    });

    test('a commit onto a file already there makes its mtime the time of the commit', async () => {
      const first = await d.writer('u/1', 'create');
      await first.append(chunks('same bytes'));
      await first.commit('blobs/y');
      const before = (await d.stat('blobs/y'))!.mtimeMs;
      await sleep(tick);
      const again = await d.writer('u/2', 'create');
      await again.append(chunks('same bytes'));
      await again.commit('blobs/y');
      expect((await d.stat('blobs/y'))!.mtimeMs).toBeGreaterThan(before);
      expect(await text(d, 'blobs/y')).toBe('same bytes');
    });

    test('a commit onto a file moved away meanwhile writes it again', async () => {
      const w = await d.writer('u/3', 'create');
      await w.append(chunks('bytes'));
      await d.put('blobs/z', 'bytes');
      await d.move('blobs/z', 'trash/blobs/z');
      await w.commit('blobs/z');
      expect(await text(d, 'blobs/z')).toBe('bytes');
    });

    test('create is exclusive: of several at once exactly one wins, and what it wrote stays', async () => {
      expect(d.create).toBeDefined(); // optional in the contract; every driver here has it
      const wins = await Promise.all(['a', 'b', 'c', 'd'].map((who) => d.create!('gc/lock', who)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const winner = ['a', 'b', 'c', 'd'][wins.indexOf(true)]!;
      expect(await text(d, 'gc/lock')).toBe(winner);
      expect(await d.create!('gc/lock', 'late')).toBe(false);
      expect(await text(d, 'gc/lock')).toBe(winner);
    });
  });
}
