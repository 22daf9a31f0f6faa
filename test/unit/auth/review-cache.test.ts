import { ReviewCache, shouldRefresh } from '../../../src/registry/auth/kubernetes/review-cache.js';

test.each([
  // remaining, ttl, refresh?
  [10_000, 10_000, false],
  [2_501, 10_000, false],
  [2_499, 10_000, true],
  [0, 10_000, true],
])('a hit with %i ms left of %i refreshes in the background: %s', (remaining, ttl, refresh) => {
  expect(shouldRefresh(remaining, ttl)).toBe(refresh);
});

describe('ReviewCache', () => {
  let clock = 0;
  beforeEach(() => (clock = 1_000_000));
  const advance = (ms: number) => (clock += ms);
  const cacheOf = () => new ReviewCache<string>(10_000, 10, () => clock);

  /** A review answering `answers` in turn, counting its calls. */
  const reviews = (...answers: Array<string | Error>) => {
    let calls = 0;
    const review = async () => {
      const a = answers[Math.min(calls++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    };
    return { review, calls: () => calls };
  };

  test('concurrent misses share one review; hits early in the entry\'s life ask nothing', async () => {
    const cache = cacheOf();
    const r = reviews('alice');
    expect(await Promise.all([cache.get('t', r.review), cache.get('t', r.review), cache.get('t', r.review)])).toEqual(['alice', 'alice', 'alice']);
    advance(5_000);
    expect(await cache.get('t', r.review)).toBe('alice');
    expect(r.calls()).toBe(1);
  });

  test('a hit late in the entry\'s life answers from the cache and refreshes it, so the key never expires while used', async () => {
    const cache = cacheOf();
    const r = reviews('v1', 'v2');
    await cache.get('t', r.review);
    advance(8_000);
    expect(await cache.get('t', r.review)).toBe('v1');
    await Promise.resolve();
    expect(r.calls()).toBe(2);
    advance(7_000); // 15 s after the first answer, 7 s after the refresh
    expect(await cache.get('t', r.review)).toBe('v2');
    expect(r.calls()).toBe(2);
  });

  test('an answer is never used past its TTL; a failed review is thrown and not cached', async () => {
    const cache = cacheOf();
    const r = reviews('allowed', new Error('api down'), 'denied');
    await cache.get('t', r.review);
    advance(10_001);
    await expect(cache.get('t', r.review)).rejects.toThrow('api down');
    expect(await cache.get('t', r.review)).toBe('denied');
  });

  test('a failed background refresh leaves the entry to expire at its TTL', async () => {
    const cache = cacheOf();
    const r = reviews('allowed', new Error('api down'), 'later');
    await cache.get('t', r.review);
    advance(9_000);
    expect(await cache.get('t', r.review)).toBe('allowed');
    for (let i = 0; i < 3; i++) await Promise.resolve();
    advance(1_001);
    expect(await cache.get('t', r.review)).toBe('later');
    expect(r.calls()).toBe(3);
  });
});
