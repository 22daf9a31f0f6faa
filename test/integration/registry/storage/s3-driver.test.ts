/**
 * The storage driver suite on the S3 driver, against a real S3 server (versitygw from the tool cache), and what is
 * the S3 driver's own: uploads over several parts continued by another driver, the saved SHA-256 state, and key
 * files for credentials.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageDriver } from '../../../../src/registry/storage/driver.js';
import { S3Driver } from '../../../../src/registry/storage/drivers/s3.js';
import { s3Client } from '../../../../src/registry/storage/drivers/s3-client.js';
import { s3KeysEnv, s3TestConfig, type S3TestServer } from '../../../helpers/s3-env.js';
import { startVersitygw } from '../../../helpers/versitygw.js';
import { describeDriver } from './driver-suite.js';
import { chunks } from './driver-suite-kit.js';

let server: S3TestServer;
const opened: S3Driver[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = await startVersitygw();
  Object.assign(process.env, s3KeysEnv(server));
}, 60_000);

afterAll(async () => {
  for (const d of opened) d.destroy();
  process.env = saved;
  await server?.stop();
});

async function open(prefix?: string): Promise<S3Driver> {
  const d = await S3Driver.open(s3TestConfig(server, prefix));
  opened.push(d);
  return d;
}

const prefixes = new Map<StorageDriver, string>();

describeDriver('s3', {
  async open() {
    const prefix = `suite-${opened.length}-${Date.now()}`;
    const d = await open(prefix);
    prefixes.set(d, prefix);
    return d;
  },
  async reopen(d) {
    const other = await open(prefixes.get(d));
    prefixes.set(other, prefixes.get(d)!);
    return other;
  },
  // versitygw's posix backend cannot create a key below a key that is a file (AWS S3 itself would allow it)
  async failingCommitTarget(d) {
    await d.put('blocker', 'a file');
    return 'blocker/target';
  },
  durable: true,
  sendRange: true,
  filesOrFolders: false,
  commitReplaces: false,
});

/** `size` bytes of a fixed pattern. */
function pattern(size: number, seed = 7): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * seed + (i >> 13)) % 251;
  return b;
}

function* slices(data: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function readAllBytes(stream: AsyncIterable<unknown> | undefined): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of stream!) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('S3 driver: uploads over several parts', () => {
  test('an upload of several parts, appended by two drivers in turn, commits byte-exact with the right sha256', async () => {
    const prefix = `multi-${Date.now()}`;
    const a = await open(prefix);
    const b = await open(prefix);
    const data = pattern(13 * 1024 * 1024 + 11);
    const cut = [3 * 1024 * 1024 + 5, 9 * 1024 * 1024 + 1];
    const w1 = await a.writer('uploads/x/data', 'create');
    await w1.append(chunks(...slices(data.subarray(0, cut[0]), 64 * 1024)));
    await w1.close();
    const w2 = (await b.writer('uploads/x/data', 'append'))!;
    expect(w2.size).toBe(cut[0]);
    await w2.append(chunks(...slices(data.subarray(cut[0], cut[1]), 100_000)));
    await w2.close();
    const w3 = (await a.writer('uploads/x/data', 'append'))!;
    expect(w3.size).toBe(cut[1]);
    await w3.append(chunks(...slices(data.subarray(cut[1]), 1 << 20)));
    expect(await w3.sha256!()).toBe(createHash('sha256').update(data).digest('hex'));
    await w3.commit('blobs/multi');
    expect((await b.stat('blobs/multi'))?.size).toBe(data.length);
    expect((await readAllBytes(await b.reader('blobs/multi'))).equals(data)).toBe(true);
    const range = await readAllBytes(await a.reader('blobs/multi', { start: 5 * 1024 * 1024 - 3, end: 5 * 1024 * 1024 + 3 }));
    expect(range.equals(data.subarray(5 * 1024 * 1024 - 3, 5 * 1024 * 1024 + 4))).toBe(true);
    expect(await b.list('uploads/x')).toEqual([]);
  });

  test('a failed append across a part boundary leaves the upload as it was, and it still commits right', async () => {
    const d = await open();
    const data = pattern(6 * 1024 * 1024, 3);
    const w = await d.writer('u/data', 'create');
    await w.append(chunks(data.subarray(0, 1000)));
    await expect(w.append(chunks(...slices(data.subarray(1000), 1 << 20), new Error('cut')))).rejects.toThrow('cut');
    expect(w.size).toBe(1000);
    await w.append(chunks(...slices(data.subarray(1000), 1 << 20)));
    expect(await w.sha256!()).toBe(createHash('sha256').update(data).digest('hex'));
    await w.commit('blob');
    expect((await readAllBytes(await d.reader('blob'))).equals(data)).toBe(true);
  });

  test('readBack of an upload of several parts (a sha512 digest) reads it whole; then only commit or cancel remain', async () => {
    const d = await open();
    const data = pattern(7 * 1024 * 1024 + 3, 5);
    const w = await d.writer('u/data', 'create');
    await w.append(chunks(...slices(data, 1 << 20)));
    const back = await readAllBytes(await w.readBack!());
    expect(createHash('sha512').update(back).digest('hex')).toBe(createHash('sha512').update(data).digest('hex'));
    await expect(w.append(chunks('more'))).rejects.toThrow(/only commit or cancel/);
    await w.commit('blob512');
    expect((await readAllBytes(await d.reader('blob512'))).equals(data)).toBe(true);
    expect(await d.list('u')).toEqual([]);
  });

  test('static keys from files work, and a wrong key is refused when the driver opens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-s3-keys-'));
    try {
      await writeFile(join(dir, 'id'), `${server.accessKeyId}\n`);
      await writeFile(join(dir, 'secret'), `${server.secretAccessKey}\n`);
      const keyed = { ...s3TestConfig(server), accessKeyIdFile: join(dir, 'id'), secretAccessKeyFile: join(dir, 'secret') };
      const d = await S3Driver.open(keyed);
      opened.push(d);
      await d.put('k', 'v');
      expect((await d.get('k'))?.toString()).toBe('v');
      await writeFile(join(dir, 'secret'), 'wrong');
      const failure = S3Driver.open(keyed);
      await expect(failure).rejects.toThrow(/cannot open bucket berth/);
      await expect(failure).rejects.not.toThrow(server.secretAccessKey);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A driver whose client runs `before(command)` ahead of each request it sends (to land a race at one point). */
async function intercepted(prefix: string, before: (name: string, key: string | undefined) => Promise<void>): Promise<S3Driver> {
  const config = s3TestConfig(server, prefix);
  const client = await s3Client(config);
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command) => {
    const c = command as { constructor: { name: string }; input: { Key?: string } };
    await before(c.constructor.name, c.input.Key);
    return send(command);
  };
  const d = new S3Driver(client, config);
  opened.push(d);
  return d;
}

async function commitBytes(d: StorageDriver, upload: string, to: string, bytes: string): Promise<void> {
  const w = await d.writer(upload, 'create');
  await w.append(chunks(bytes));
  await w.commit(to);
}

describe('S3 driver: what garbage collection needs', () => {
  test('the lease object: replaceIf replaces only the version read', async () => {
    const d = await open();
    await d.put('gc/lock', 'one');
    const seen = (await d.getVersioned('gc/lock'))!;
    expect(seen.data.toString()).toBe('one');
    const next = await d.replaceIf('gc/lock', 'two', seen.version);
    expect(next).toBeDefined();
    expect(await d.replaceIf('gc/lock', 'stale', seen.version)).toBeUndefined();
    expect((await d.get('gc/lock'))?.toString()).toBe('two');
    expect(await d.replaceIf('gc/lock', 'three', next!)).toBeDefined();
    expect(await d.replaceIf('gone', 'x', next!)).toBeUndefined();
  });

  test('a commit landing between a move\'s copy and its delete is not lost: the move puts the blob back', async () => {
    const prefix = `race-move-${Date.now()}`;
    const other = await open(prefix);
    let raced = false;
    const mover = await intercepted(prefix, async (name, key) => {
      if (name === 'DeleteObjectCommand' && key === `${prefix}/blobs/b` && !raced) {
        raced = true;
        await commitBytes(other, 'uploads/u', 'blobs/b', 'blob bytes'); // finds the blob there: marker, then touch
      }
    });
    await other.put('blobs/b', 'blob bytes');
    await mover.move('blobs/b', 'gc/trash/blobs/b');
    expect(raced).toBe(true);
    expect((await other.get('blobs/b'))?.toString()).toBe('blob bytes');
    expect(await other.stat('gc/trash/blobs/b')).toBeUndefined();
  });

  test('a move landing between a commit\'s conditional write and its touch is not lost: the commit writes again', async () => {
    const prefix = `race-commit-${Date.now()}`;
    const other = await open(prefix);
    let raced = false;
    const committer = await intercepted(prefix, async (name, key) => {
      if (name === 'PutObjectCommand' && key === `${prefix}/blobs/b.committed` && !raced) {
        raced = true;
        await other.move('blobs/b', 'gc/trash/blobs/b');
      }
    });
    await other.put('blobs/b', 'blob bytes');
    await commitBytes(committer, 'uploads/u', 'blobs/b', 'blob bytes');
    expect(raced).toBe(true);
    expect((await other.get('blobs/b'))?.toString()).toBe('blob bytes');
  });
});

describe('S3 driver: round trips of small uploads and deletes', () => {
  /** A driver that records the commands it sends (name and key). */
  async function recording(): Promise<{ d: S3Driver; sent: string[] }> {
    const sent: string[] = [];
    const d = await intercepted(`rt-${Date.now()}-${Math.random()}`, async (name) => {
      sent.push(name);
    });
    return { d, sent };
  }

  test('commitBytes to an empty upload is one conditional put and one delete of the upload state', async () => {
    const { d, sent } = await recording();
    const w = await d.writer('uploads/s/data', 'create');
    sent.length = 0;
    await w.commitBytes!('blobs/small', Buffer.from('small blob'));
    expect(sent).toEqual(['PutObjectCommand', 'DeleteObjectsCommand']);
    expect((await d.get('blobs/small'))?.toString()).toBe('small blob');
    expect(await d.list('uploads/s')).toEqual([]);
    await expect(w.commit('blobs/again')).rejects.toThrow(/closed/);
  });

  test('commitBytes onto a blob already there keeps it (the same content)', async () => {
    const { d } = await recording();
    await d.put('blobs/there', 'same');
    const w = await d.writer('uploads/t/data', 'create');
    await w.commitBytes!('blobs/there', Buffer.from('same'));
    expect((await d.get('blobs/there'))?.toString()).toBe('same');
    expect(await d.list('uploads/t')).toEqual([]);
  });

  test('commitBytes refuses an upload with bytes, which still commits as usual', async () => {
    const { d } = await recording();
    const w = await d.writer('uploads/v/data', 'create');
    await w.append(chunks('abc'));
    await expect(w.commitBytes!('blobs/v', Buffer.from('xyz'))).rejects.toThrow(/has 3 bytes/);
    await w.commit('blobs/v');
    expect((await d.get('blobs/v'))?.toString()).toBe('abc');
  });

  test('a new upload is one conditional write; one over an unfinished upload cancels that first', async () => {
    const { d, sent } = await recording();
    sent.length = 0;
    const w = await d.writer('uploads/n/data', 'create');
    expect(sent).toEqual(['PutObjectCommand']);
    await w.append(chunks('old bytes'));
    const again = await d.writer('uploads/n/data', 'create');
    expect(again.size).toBe(0);
    expect(await d.writer('uploads/n/data', 'append').then((x) => x?.size)).toBe(0);
    await again.append(chunks('new'));
    await again.commit('blobs/n');
    expect((await d.get('blobs/n'))?.toString()).toBe('new');
    expect(await d.list('uploads/n')).toEqual([]);
  });

  test('deleting a file is a LIST and a delete; keys that only share its prefix stay', async () => {
    const { d, sent } = await recording();
    for (const p of ['a/x', 'a/x.committed', 'a/xy/z']) await d.put(p, p);
    sent.length = 0;
    expect(await d.delete('a/x.committed')).toBe(true);
    expect(sent).toEqual(['ListObjectsV2Command', 'DeleteObjectsCommand']);
    expect(await d.delete('a/x')).toBe(true);
    expect((await d.list('a')).map((e) => e.name)).toEqual(['xy']);
    expect(await d.delete('a/x')).toBe(false);
    expect(await d.delete('a/nothing')).toBe(false);
  });

  test('deleting a folder deletes what is below it, not a sibling that shares its prefix', async () => {
    const { d } = await recording();
    for (const p of ['f/inner/1', 'f/inner/deep/2', 'f/innerx', 'f/inner.y']) await d.put(p, p);
    expect(await d.delete('f/inner')).toBe(true);
    expect((await d.list('f')).map((e) => e.name).sort()).toEqual(['inner.y', 'innerx']);
  });
});
