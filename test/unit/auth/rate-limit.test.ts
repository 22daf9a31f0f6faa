import { FailureLimiter } from '../../../src/registry/auth/rate-limit.js';

describe('FailureLimiter', () => {
  test('allows `limit` failures a window, then refuses until the oldest one leaves the window', () => {
    const l = new FailureLimiter(3, 60_000);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterMs('ip:a', t0 + i * 1000)).toBe(0);
      l.recordFailure('ip:a', t0 + i * 1000);
    }
    expect(l.retryAfterMs('ip:a', t0 + 3000)).toBe(57_000);
    expect(l.retryAfterMs('ip:b', t0 + 3000)).toBe(0);
    expect(l.retryAfterMs('ip:a', t0 + 59_000)).toBe(1000);
    expect(l.retryAfterMs('ip:a', t0 + 60_000)).toBe(0);
  });

  test('memory stays bounded when keys keep coming', () => {
    const l = new FailureLimiter(3, 60_000, 1000);
    for (let i = 0; i < 5000; i++) l.recordFailure(`account:${i}`, 1_000_000 + i);
    expect(l.size).toBeLessThanOrEqual(1000);
    expect(l.retryAfterMs('account:4999', 1_010_000)).toBe(0); // one failure: not limited
  });

  test('stale keys are forgotten', () => {
    const l = new FailureLimiter(2, 1000);
    l.recordFailure('k', 0);
    expect(l.size).toBe(1);
    expect(l.retryAfterMs('k', 5000)).toBe(0);
    expect(l.size).toBe(0);
  });
});
