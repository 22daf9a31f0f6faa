/**
 * Issue 9, findings 1, 4 and 6 against a real `berth serve`: the login limiter holds under parallel attempts,
 * locks per (account, address) so strangers cannot lock an account out of where it works from, and honours the
 * forwarded address behind a trusted proxy. Clients on other addresses are real: the test binds 127.0.0.x.
 */
import { request } from 'node:http';
import { PASSWORDS, SECRETS, SERVICE, basic, startAuthRegistry, type AuthRegistry } from './auth-fixture.js';

/** `GET /token` (no scope) with Basic credentials, from `localAddress`, with extra headers. */
function login(r: AuthRegistry, user: string, pass: string, localAddress = '127.0.0.1', headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${r.url}/token?service=${SERVICE}`,
      { localAddress, agent: false, headers: { Authorization: basic(user, pass), ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

describe('the default limits (10 failures a minute)', () => {
  let r: AuthRegistry;
  beforeAll(async () => {
    r = await startAuthRegistry();
  }, 30_000);
  afterAll(async () => {
    await r?.stop();
  });

  test('40 parallel wrong passwords from one address: at most 10 are checked, the rest get 429; once locked, even the right one among wrong ones is refused', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => login(r, 'bob', `wrong-${i}`, '127.0.0.2')));
    const t = tally(statuses);
    expect(t[200]).toBeUndefined();
    expect(t[401] ?? 0).toBeLessThanOrEqual(10);
    expect(t[429]).toBeGreaterThanOrEqual(30);
    // keep guessing, one at a time, until locked (the burst above was mostly refused before any check)
    let locked = false;
    for (let i = 0; i < 12 && !locked; i++) locked = (await login(r, 'bob', `more-${i}`, '127.0.0.2')) === 429;
    expect(locked).toBe(true);
    const mixed = await Promise.all([login(r, 'bob', PASSWORDS.bob, '127.0.0.2'), ...Array.from({ length: 9 }, (_, i) => login(r, 'bob', `again-${i}`, '127.0.0.2'))]);
    expect(mixed[0]).toBe(429);
    expect(tally(mixed)[429]).toBe(10);
  });

  test("strangers' failures from another address do not lock the real account out of its own address", async () => {
    expect(await login(r, 'ci', SECRETS.ci, '127.0.0.3')).toBe(200);
    const strangers = [];
    for (let i = 0; i < 30; i++) strangers.push(await login(r, 'ci', `guess-${i}`, '127.0.0.4'));
    expect(strangers).toContain(429);
    expect(await login(r, 'ci', SECRETS.ci, '127.0.0.4')).toBe(429);
    expect(await login(r, 'ci', SECRETS.ci, '127.0.0.3')).toBe(200);
  });

  test('alice from her own address is not held up by a burst on another account', async () => {
    expect(await login(r, 'alice', PASSWORDS.alice, '127.0.0.5')).toBe(200);
  });
});

test('behind a trusted proxy the forwarded address is the client: strangers lock only themselves', async () => {
  const r = await startAuthRegistry({ http: { trustProxy: true } });
  try {
    const from = (ip: string) => ({ 'X-Forwarded-For': ip });
    expect(await login(r, 'ci', SECRETS.ci, '127.0.0.1', from('198.51.100.7'))).toBe(200);
    const strangers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(r, 'ci', `guess-${i}`, '127.0.0.1', from('203.0.113.9'))));
    expect(strangers).toContain(429);
    expect(await login(r, 'ci', SECRETS.ci, '127.0.0.1', from('203.0.113.9'))).toBe(429);
    expect(await login(r, 'ci', SECRETS.ci, '127.0.0.1', from('198.51.100.7'))).toBe(200);
  } finally {
    await r.stop();
  }
});
