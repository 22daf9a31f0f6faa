import { MIN_OVERLAP_MS, pullRobotName, pushRobotName, wantedRobots, type AcceptedRepository, type WantedRobot } from '../../../../src/operator/access/robots.js';
import { planCredentials, type CredentialPlanInput } from '../../../../src/operator/access/rotation.js';
import { emptyStore, parseStore, serializeStore, type CredentialStore } from '../../../../src/operator/access/store.js';
import { repositorySpec } from '../../../../src/operator/access/types.js';
import { minter, repository, T0 } from './fixtures.js';

const H = 3_600_000;

function accepted(ns: string, name: string, spec: Record<string, unknown>, selected: string[]): AcceptedRepository {
  const repo = repository(ns, name, spec);
  return { repo, key: `${ns}/${name}`, spec: repositorySpec(repo), selection: { selected, missing: [], refused: [] } };
}

describe('wantedRobots', () => {
  test('one pull robot per namespace, pulling exactly the paths that selected it; a push robot per Repository that asks', () => {
    const robots = wantedRobots([
      accepted('team-a', 'api', { path: 'team-a/api', pushCredentials: { enabled: true }, rotation: { interval: '24h', overlap: '5m' } }, ['team-a', 'ci']),
      accepted('team-a', 'web', { path: 'team-a/web', rotation: { interval: '12h', overlap: '1m' } }, ['team-a']),
    ]);
    expect([...robots.keys()].sort()).toEqual(['pull.ci', 'pull.team-a', 'push.team-a.api']);
    expect(robots.get('pull.team-a')).toEqual({
      name: 'pull.team-a',
      kind: 'pull',
      namespace: 'team-a',
      paths: ['team-a/api', 'team-a/web'],
      intervalMs: 12 * H,
      overlapMs: 5 * 60_000,
      sources: ['team-a/api', 'team-a/web'],
    });
    expect(robots.get('pull.ci')?.paths).toEqual(['team-a/api']);
    expect(robots.get('push.team-a.api')).toMatchObject({ kind: 'push', namespace: 'team-a', repository: 'api', paths: ['team-a/api'] });
  });

  test('overlaps shorter than the minimum are raised to it; no interval means on request only', () => {
    const robot = wantedRobots([accepted('a', 'r', { path: 'a/r', rotation: { overlap: '1s' } }, ['a'])]).get('pull.a')!;
    expect(robot.overlapMs).toBe(MIN_OVERLAP_MS);
    expect(robot.intervalMs).toBeUndefined();
  });

  test('robot names: namespaces cannot collide; very long Repository names stay within 255 characters', () => {
    expect(pullRobotName('team-a')).toBe('pull.team-a');
    const long = pushRobotName('n'.repeat(63), 'r'.repeat(253));
    expect(long.length).toBe(255);
    expect(long).not.toBe(pushRobotName('n'.repeat(63), `${'r'.repeat(252)}s`));
  });
});

function want(name: string, over: Partial<WantedRobot> = {}): [string, WantedRobot] {
  return [name, { name, kind: 'pull', namespace: name.replace(/^pull\./, ''), paths: ['a/x'], overlapMs: 10 * 60_000, sources: ['a/x'], ...over }];
}

function plan(store: CredentialStore, wanted: Array<[string, WantedRobot]>, now: number, extra: Partial<CredentialPlanInput> = {}) {
  return planCredentials({ store, wanted: new Map(wanted), requests: [], now, mint: minter(), ...extra });
}

describe('planCredentials', () => {
  test('a new robot gets a secret; the same input again changes nothing', () => {
    const first = plan(emptyStore(), [want('pull.a')], T0);
    expect(first.minted).toEqual(['pull.a']);
    expect(first.store.robots['pull.a']).toEqual({ kind: 'pull', namespace: 'a', current: { secret: expect.stringMatching(/^berth_test-secret-0001/), issuedAt: new Date(T0).toISOString() }, previous: [] });
    const again = plan(first.store, [want('pull.a')], T0 + 60_000);
    expect(serializeStore(again.store)).toBe(serializeStore(first.store));
    expect([again.minted, again.rotated, again.revoked]).toEqual([[], [], []]);
  });

  test('scheduled rotation: due after the interval, the old secret kept until the end of the overlap, then revoked', () => {
    const robot = want('pull.a', { intervalMs: 24 * H, overlapMs: 10 * 60_000 });
    const s0 = plan(emptyStore(), [robot], T0).store;
    const early = plan(s0, [robot], T0 + 23 * H);
    expect(early.rotated).toEqual([]);
    expect(early.nextAt).toBe(T0 + 24 * H);
    const due = plan(s0, [robot], T0 + 24 * H, { mint: () => 'berth_rotated-secret-0000000000000000000000000000' });
    expect(due.rotated).toEqual([{ robot: 'pull.a', cause: 'schedule', retiresAt: new Date(T0 + 24 * H + 10 * 60_000).toISOString() }]);
    const r = due.store.robots['pull.a']!;
    expect(r.current.secret).toBe('berth_rotated-secret-0000000000000000000000000000');
    expect(r.previous).toEqual([{ ...s0.robots['pull.a']!.current, retiresAt: new Date(T0 + 24 * H + 10 * 60_000).toISOString() }]);
    expect(r.rotatedAt).toBe(new Date(T0 + 24 * H).toISOString());
    expect(due.nextAt).toBe(T0 + 24 * H + 10 * 60_000);
    const after = plan(due.store, [robot], T0 + 24 * H + 10 * 60_000);
    expect(after.revoked).toEqual([{ robot: 'pull.a', cause: 'overlapEnded' }]);
    expect(after.store.robots['pull.a']!.previous).toEqual([]);
    expect(after.nextAt).toBe(T0 + 48 * H);
  });

  test('rotation on request: a first sighting is only recorded; a changed value rotates the robots it covers', () => {
    const s0 = plan(emptyStore(), [want('pull.a'), want('pull.b')], T0).store;
    const seen = plan(s0, [want('pull.a'), want('pull.b')], T0 + 1000, { requests: [{ uid: 'u1', repository: 'a/x', value: '', robots: ['pull.a'] }] });
    expect(seen.rotated).toEqual([]);
    expect(seen.store.rotateRequests).toEqual({ u1: '' });
    const asked = plan(seen.store, [want('pull.a'), want('pull.b')], T0 + 2000, { requests: [{ uid: 'u1', repository: 'a/x', value: 'now', robots: ['pull.a'] }] });
    expect(asked.rotated.map((r) => [r.robot, r.cause, r.by])).toEqual([['pull.a', 'request', 'a/x']]);
    expect(asked.store.rotateRequests).toEqual({ u1: 'now' });
    const same = plan(asked.store, [want('pull.a'), want('pull.b')], T0 + 3000, { requests: [{ uid: 'u1', repository: 'a/x', value: 'now', robots: ['pull.a'] }] });
    expect(same.rotated).toEqual([]);
  });

  test('a robot nobody wants is revoked at once; requests of vanished Repositories are forgotten', () => {
    const s0 = plan(emptyStore(), [want('pull.a'), want('pull.b')], T0, { requests: [{ uid: 'gone', repository: 'a/gone', value: 'x', robots: [] }] }).store;
    const p = plan(s0, [want('pull.a')], T0 + 1000);
    expect(p.revoked).toEqual([{ robot: 'pull.b', cause: 'unselected' }]);
    expect(Object.keys(p.store.robots)).toEqual(['pull.a']);
    expect(p.store.rotateRequests).toEqual({});
  });

  test('rotations faster than overlaps keep a bounded number of old secrets', () => {
    let store = plan(emptyStore(), [want('pull.a')], T0).store;
    for (let i = 1; i <= 6; i++) {
      store = plan(store, [want('pull.a')], T0 + i * 1000, { requests: [{ uid: 'u', repository: 'a/x', value: String(i - 1), robots: ['pull.a'] }] }).store;
    }
    expect(store.robots['pull.a']!.previous.length).toBe(4);
  });
});

describe('credential store text', () => {
  test('round trip, canonical; malformed text is refused with a reason', () => {
    const store = plan(emptyStore(), [want('pull.a')], T0).store;
    expect(parseStore(serializeStore(store))).toEqual(store);
    expect(parseStore(undefined)).toEqual(emptyStore());
    expect(() => parseStore('{"version":2,"robots":{}}')).toThrow('not a version 1 credential store');
    expect(() => parseStore('{"version":1,"robots":{"x":{"kind":"pull"}}}')).toThrow('robot x is malformed');
    expect(() => parseStore('not json')).toThrow();
  });
});
