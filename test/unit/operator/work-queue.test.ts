import { WorkQueue } from '../../../src/operator/runtime/work-queue.js';

const fixed = { baseMs: 20, maxMs: 1000, jitter: 0 };

describe('WorkQueue', () => {
  test('a key added many times is handed out once, in order of first add', async () => {
    const q = new WorkQueue(fixed);
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
    expect(q.length).toBe(0);
  });

  test('a key in flight is not handed out again; added meanwhile, it comes back after done', async () => {
    const q = new WorkQueue(fixed);
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('b');
    expect(await q.get()).toBe('b');
    let next: string | undefined = 'pending';
    void q.get().then((k) => (next = k));
    await new Promise((r) => setTimeout(r, 10));
    expect(next).toBe('pending');
    q.done('a');
    await new Promise((r) => setTimeout(r, 0));
    expect(next).toBe('a');
  });

  test('a waiting get receives the next added key', async () => {
    const q = new WorkQueue(fixed);
    const got = q.get();
    q.add('x');
    expect(await got).toBe('x');
    expect(q.inFlight).toBe(1);
  });

  test('rate-limited retries back off per key and forget resets them', () => {
    const q = new WorkQueue(fixed);
    expect([q.addRateLimited('a'), q.addRateLimited('a'), q.addRateLimited('a')]).toEqual([20, 40, 80]);
    expect(q.addRateLimited('b')).toBe(20);
    expect(q.failures('a')).toBe(3);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(20);
    q.shutdown();
  });

  test('requeue-after keeps the earliest schedule of a key', async () => {
    const q = new WorkQueue(fixed);
    q.addAfter('a', 5000);
    q.addAfter('a', 30);
    q.addAfter('a', 10_000);
    expect(q.scheduled).toBe(1);
    const started = Date.now();
    expect(await q.get()).toBe('a');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(q.scheduled).toBe(0);
  });

  test('shutdown releases waiting workers and drops scheduled keys', async () => {
    const q = new WorkQueue(fixed);
    const waiting = q.get();
    q.addAfter('later', 50);
    q.shutdown();
    expect(await waiting).toBeUndefined();
    q.add('x');
    expect(await q.get()).toBeUndefined();
    expect(q.scheduled).toBe(0);
  });

  test('whenIdle resolves once the keys in flight are done', async () => {
    const q = new WorkQueue(fixed);
    q.add('a');
    await q.get();
    let idle = false;
    const p = q.whenIdle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(idle).toBe(false);
    q.done('a');
    await p;
    expect(idle).toBe(true);
  });

  test('adds that respect backoff leave a failing key to its retry; a plain add runs it at once', async () => {
    const q = new WorkQueue({ baseMs: 5000, maxMs: 5000, jitter: 0 });
    q.addRateLimited('a');
    q.add('a', { respectBackoff: true });
    expect(q.length).toBe(0);
    q.add('a');
    expect(q.length).toBe(1);
    q.shutdown();
  });

  test('a child event during a failing reconcile does not skip the backoff; a spec change does', async () => {
    const q = new WorkQueue({ baseMs: 5000, maxMs: 5000, jitter: 0 });
    q.add('a');
    await q.get();
    q.add('a', { respectBackoff: true });
    q.addRateLimited('a');
    q.done('a');
    expect(q.length).toBe(0);
    expect(q.scheduled).toBe(1);
    q.shutdown();
    const r = new WorkQueue({ baseMs: 5000, maxMs: 5000, jitter: 0 });
    r.add('a');
    await r.get();
    r.add('a', { respectBackoff: true });
    r.add('a');
    r.addRateLimited('a');
    r.done('a');
    expect(r.length).toBe(1);
    r.shutdown();
  });
});
