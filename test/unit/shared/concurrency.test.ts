import { createCoalescer, createLimiter } from '../../../src/shared/concurrency.js';

/** A call that settles when told to, counting how often it was started. */
function gate<V>() {
  let calls = 0;
  const pending: Array<{ resolve: (v: V) => void; reject: (e: Error) => void }> = [];
  const fn = () => {
    calls++;
    return new Promise<V>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { fn, calls: () => calls, pending };
}

describe('createCoalescer', () => {
  test('concurrent calls with one key share one call and its answer; other keys get their own', async () => {
    const coalesce = createCoalescer<string>();
    const g = gate<string>();
    const a = [coalesce('k', g.fn), coalesce('k', g.fn), coalesce('k', g.fn)];
    const other = coalesce('other', g.fn);
    expect(g.calls()).toBe(2);
    g.pending[0]!.resolve('first');
    g.pending[1]!.resolve('second');
    expect(await Promise.all(a)).toEqual(['first', 'first', 'first']);
    expect(await other).toBe('second');
  });

  test('once settled nothing is kept: the next call starts again, and a failure is shared but not remembered', async () => {
    const coalesce = createCoalescer<number>();
    const g = gate<number>();
    const failed = [coalesce('k', g.fn), coalesce('k', g.fn)];
    g.pending[0]!.reject(new Error('api down'));
    for (const p of failed) await expect(p).rejects.toThrow('api down');
    const next = coalesce('k', g.fn);
    expect(g.calls()).toBe(2);
    g.pending[1]!.resolve(7);
    expect(await next).toBe(7);
  });
});

describe('createLimiter', () => {
  test('runs at most `limit` at once, the rest in arrival order', async () => {
    const limit = createLimiter(2);
    const g = gate<void>();
    const order: number[] = [];
    const tasks = [1, 2, 3, 4].map((n) => limit(async () => { order.push(n); await g.fn(); }));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1, 2]);
    g.pending[0]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1, 2, 3]);
    for (let i = 1; i < 4; i++) {
      g.pending[i]?.resolve();
      await new Promise((r) => setImmediate(r));
    }
    g.pending.forEach((p) => p.resolve());
    await Promise.all(tasks);
    expect(order).toEqual([1, 2, 3, 4]);
  });
});
