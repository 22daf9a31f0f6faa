import { MAX_REST_MS, pacer, restAfter } from '../../../../src/registry/storage/gc/pace.js';

test.each([
  ['half the time: rest as long as it worked', 20, 0.5, 20],
  ['a quarter: rest three times as long', 20, 0.25, 60],
  ['all the time: never rest', 20, 1, 0],
  ['nothing worked: no rest', 0, 0.5, 0],
  ['a long slice (a slow step): capped', 5000, 0.5, MAX_REST_MS],
])('restAfter: %s', (_name, worked, share, expected) => {
  expect(restAfter(worked, share)).toBe(expected);
});

test('a pacer rests only once its slice is used up, then counts a new slice', async () => {
  let now = 0;
  const pace = pacer(0.5, 20, () => now);
  now = 10;
  const t0 = performance.now();
  await pace(); // 10 ms worked: no rest
  expect(performance.now() - t0).toBeLessThan(15);
  now = 30;
  const t1 = performance.now();
  await pace(); // 30 ms worked: rests about 30 ms
  expect(performance.now() - t1).toBeGreaterThanOrEqual(25);
  const t2 = performance.now();
  await pace(); // a new slice began after the rest
  expect(performance.now() - t2).toBeLessThan(15);
});
