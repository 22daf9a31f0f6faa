import { backoffDelay, sleep, type BackoffPolicy } from '../../../src/kube/backoff.js';

const noJitter: BackoffPolicy = { baseMs: 500, maxMs: 30_000, jitter: 0 };

describe('backoffDelay', () => {
  test.each<[number, number]>([
    [1, 500],
    [2, 1000],
    [3, 2000],
    [6, 16_000],
    [7, 30_000],
    [100, 30_000],
    [0, 500],
  ])('attempt %d waits %d ms without jitter', (attempt, ms) => {
    expect(backoffDelay(noJitter, attempt)).toBe(ms);
  });

  test.each<[number, number]>([
    [0, 800],
    [0.5, 900],
    [0.999999, 1000],
  ])('jitter 0.2 with random %d spreads the 1000 ms delay to %d', (r, ms) => {
    expect(backoffDelay({ baseMs: 1000, maxMs: 60_000, jitter: 0.2 }, 1, () => r)).toBe(ms);
  });

  test('a jittered delay never exceeds the cap', () => {
    const policy = { baseMs: 500, maxMs: 5000, jitter: 0.5 };
    for (let i = 0; i < 200; i++) expect(backoffDelay(policy, 40)).toBeLessThanOrEqual(5000);
  });
});

describe('sleep', () => {
  test('an abort ends the wait early', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 20);
    await sleep(10_000, abort.signal);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
