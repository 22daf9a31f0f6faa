import { LoginLimiter, type Admission } from '../../../src/registry/auth/login-limiter.js';

const T0 = 1_000_000;
const ticket = (a: Admission) => {
  if (!a.ok) throw new Error(`refused: ${a.reason}`);
  return a.ticket;
};

describe('LoginLimiter', () => {
  test('attempts are reserved before the check: parallel attempts past the limit are refused', () => {
    const l = new LoginLimiter({ failuresPerMinute: 3, maxConcurrentPerAddress: 100, maxConcurrentPerAccount: 100 });
    const admitted = Array.from({ length: 10 }, () => l.begin('alice', '10.0.0.1', T0)).filter((a) => a.ok);
    expect(admitted).toHaveLength(3);
    expect(l.begin('alice', '10.0.0.1', T0)).toMatchObject({ ok: false, reason: 'rate_limited' });
  });

  test('a success takes its reservation back', () => {
    const l = new LoginLimiter({ failuresPerMinute: 2 });
    for (let i = 0; i < 5; i++) ticket(l.begin('alice', '10.0.0.1', T0 + i)).succeeded();
    expect(l.begin('alice', '10.0.0.1', T0 + 10).ok).toBe(true);
  });

  test('concurrent checks are capped per address and per account (from unknown addresses)', () => {
    const l = new LoginLimiter({ failuresPerMinute: 100, maxConcurrentPerAddress: 2, maxConcurrentPerAccount: 3 });
    const a = [ticket(l.begin('alice', '10.0.0.1', T0)), ticket(l.begin('bob', '10.0.0.1', T0))];
    expect(l.begin('carol', '10.0.0.1', T0)).toMatchObject({ ok: false, reason: 'concurrency_limited', retryAfterMs: 1000 });
    a[0]!.failed();
    expect(l.begin('carol', '10.0.0.1', T0).ok).toBe(true);
    ticket(l.begin('dave', '10.0.0.2', T0));
    ticket(l.begin('dave', '10.0.0.3', T0));
    ticket(l.begin('dave', '10.0.0.4', T0));
    expect(l.begin('dave', '10.0.0.5', T0)).toMatchObject({ ok: false, reason: 'concurrency_limited' });
  });

  test('lockout of one (account, address) grows: 1, 2, 4 minutes, capped', () => {
    const l = new LoginLimiter({ failuresPerMinute: 2, lockoutMaxMs: 3 * 60_000 });
    let now = T0;
    const fail = () => ticket(l.begin('alice', '10.0.0.1', now)).failed();
    fail();
    fail();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = l.begin('alice', '10.0.0.1', now);
      if (r.ok) throw new Error('admitted while locked');
      waits.push(r.retryAfterMs);
      now += r.retryAfterMs;
      fail();
    }
    expect(waits).toEqual([60_000, 120_000, 180_000, 180_000]);
  });

  test("strangers' failures never lock an account out of an address it logged in from", () => {
    const l = new LoginLimiter({ failuresPerMinute: 3 });
    ticket(l.begin('ci', '10.0.0.1', T0)).succeeded();
    for (let i = 0; i < 20; i++) {
      const a = l.begin('ci', `10.6.6.${i % 4}`, T0 + i);
      if (a.ok) a.ticket.failed();
    }
    expect(l.begin('ci', '10.0.0.1', T0 + 100).ok).toBe(true);
    expect(l.begin('ci', '10.9.9.9', T0 + 100)).toMatchObject({ ok: false, reason: 'rate_limited' });
  });

  test('refresh tokens (no account) are limited per address only', () => {
    const l = new LoginLimiter({ failuresPerMinute: 2 });
    ticket(l.begin(undefined, '10.0.0.1', T0)).failed();
    ticket(l.begin(undefined, '10.0.0.1', T0)).failed();
    expect(l.begin(undefined, '10.0.0.1', T0).ok).toBe(false);
    expect(l.begin('alice', '10.0.0.2', T0).ok).toBe(true);
  });
});
