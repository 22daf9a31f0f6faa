/**
 * The upload store over the driver contract alone (in-memory driver): sessions continued by another driver over
 * the same storage, what a driver that cannot read an upload back gets, the storage calls of one PATCH, and purge.
 */
import { createHash } from 'node:crypto';
import type { StorageDriver, Writer } from '../../../../src/registry/storage/driver.js';
import { MemoryDriver } from '../../../../src/registry/storage/drivers/memory.js';
import { createStorage } from '../../../../src/registry/storage/index.js';
import { requireDigest } from '../../../../src/registry/oci/digest.js';

async function* body(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

const digestOf = (s: string) => requireDigest(`sha256:${createHash('sha256').update(s).digest('hex')}`);

/** A driver whose calls are recorded as `method path`. */
function recording(inner: StorageDriver): { driver: StorageDriver; calls: string[] } {
  const calls: string[] = [];
  const driver = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${String(prop)} ${String(args[0])}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { driver, calls };
}

/** A driver like an object store: its upload writers cannot read back what was appended. */
function withoutReadBack(inner: StorageDriver): StorageDriver {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'writer') {
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return async (path: string, mode: 'create' | 'append') => {
        const w = await target.writer(path, mode);
        if (!w) return undefined;
        const limited: Writer = {
          get size() {
            return w.size;
          },
          append: (b, on) => w.append(b, on),
          commit: (to) => w.commit(to),
          cancel: () => w.cancel(),
          close: () => w.close(),
        };
        return limited;
      };
    },
  });
}

test('a session continued through another driver over the same storage is verified by reading it back', async () => {
  const first = new MemoryDriver();
  const a = createStorage(first);
  const b = createStorage(first.share());
  const id = await a.uploads.create('team/app');
  await a.uploads.append('team/app', id, body('begun here, '));
  expect(await b.uploads.size('team/app', id)).toBe(12);
  await b.uploads.append('team/app', id, body('finished there'));
  const whole = 'begun here, finished there';
  const result = await a.uploads.commit('team/app', id, digestOf(whole));
  expect(result).toMatchObject({ size: whole.length, appended: 0 });
  expect((await b.blobs.read(digestOf(whole)))?.toString()).toBe(whole);
  expect(await b.blobs.size('team/app', digestOf(whole))).toBe(whole.length);
  await expect(b.uploads.size('team/app', id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
});

test('a wrong digest discards the session, whoever appended', async () => {
  const first = new MemoryDriver();
  const a = createStorage(first);
  const b = createStorage(first.share());
  const id = await a.uploads.create('team/app');
  await b.uploads.append('team/app', id, body('some bytes'));
  await expect(a.uploads.commit('team/app', id, digestOf('other bytes'))).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
  await expect(a.uploads.size('team/app', id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
  expect(await first.list('uploads')).toEqual([]);
});

test('a driver that cannot read an upload back: commits from the running hash, refuses when it has none', async () => {
  const shared = new MemoryDriver();
  const a = createStorage(withoutReadBack(shared));
  const b = createStorage(withoutReadBack(shared.share()));
  const id = await a.uploads.create('r');
  await a.uploads.append('r', id, body('all ', 'here'));
  await a.uploads.commit('r', id, digestOf('all here'));
  expect((await a.blobs.read(digestOf('all here')))?.toString()).toBe('all here');

  const other = await a.uploads.create('r');
  await b.uploads.append('r', other, body('elsewhere'));
  await expect(a.uploads.commit('r', other, digestOf('elsewhere'))).rejects.toThrow(/cannot read an upload back/);
  expect(await a.blobs.stored(digestOf('elsewhere'))).toBe(false);
});

test('one PATCH reads the session info once and opens its upload once', async () => {
  const { driver, calls } = recording(new MemoryDriver());
  const storage = createStorage(driver);
  const id = await storage.uploads.create('r');
  calls.length = 0;
  expect(await storage.uploads.append('r', id, body('chunk'), { start: 0, length: 5 })).toEqual({ size: 5, appended: 5 });
  expect(calls).toEqual([`get uploads/${id}/info.json`, `writer uploads/${id}/data`]);
});

test('purge removes sessions untouched for longer than the age, with their bytes', async () => {
  const driver = new MemoryDriver();
  const storage = createStorage(driver);
  const old = await storage.uploads.create('r');
  await storage.uploads.append('r', old, body('stale'));
  const later = Date.now() + 3 * 3600_000;
  const fresh = await storage.uploads.create('r');
  expect(await storage.uploads.purge(2 * 3600_000, later)).toBe(2);
  expect(await driver.list('uploads')).toEqual([]);
  expect(await storage.uploads.purge(2 * 3600_000)).toBe(0);
  await expect(storage.uploads.size('r', fresh)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
});

describe('session caps (upload-slots.ts)', () => {
  const caps = { uploadSessionsPerRepository: 2, uploadSessionsPerPrincipal: 3 };

  test('are counted in storage: a second process over the same bytes sees the same count; purge frees slots', async () => {
    const driver = new MemoryDriver();
    const one = createStorage(driver);
    const two = createStorage(driver.share());
    await one.uploads.create('r', 'user:a', caps);
    await two.uploads.create('r', 'user:a', caps);
    await expect(one.uploads.create('r', 'user:b', caps)).rejects.toMatchObject({
      code: 'TOOMANYREQUESTS',
      status: 429,
      detail: { limit: 'limits.uploadSessionsPerRepository', max: 2 },
    });
    await one.uploads.create('s', 'user:a', caps);
    await expect(two.uploads.create('t', 'user:a', caps)).rejects.toMatchObject({
      detail: { limit: 'limits.uploadSessionsPerPrincipal', max: 3 },
    });
    expect(await one.uploads.purge(3600_000, Date.now() + 2 * 3600_000)).toBe(3);
    expect(await driver.list('uploads')).toEqual([]);
    await two.uploads.create('r', 'user:a', caps);
  });

  test('a marker a crash left without its session is swept by purge after a grace period', async () => {
    const driver = new MemoryDriver();
    const storage = createStorage(driver);
    const id = await storage.uploads.create('r', 'user:a', caps);
    // the crash: the session is gone, its markers are not
    await driver.delete(`uploads/${id}`);
    expect(await storage.uploads.purge(3600_000)).toBe(0);
    expect((await driver.list('uploads/_slots/repository')).length).toBe(1);
    await storage.uploads.purge(3600_000, Date.now() + 120_000);
    expect(await driver.list('uploads')).toEqual([]);
  });
});
