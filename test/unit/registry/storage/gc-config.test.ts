import { parseConfig } from '../../../../src/shared/registry-config.js';
import { gcPolicyOf } from '../../../../src/registry/storage/gc/config.js';

test.each([
  ['no section: no schedule', {}, undefined, undefined],
  ['an empty section: daily, 1h grace, untagged kept', { gc: {} }, { intervalMs: 86_400_000, gracePeriodMs: 3_600_000, untagged: 'keep', leaseMs: 60_000 }, { gracePeriodMs: 3_600_000 }],
  [
    'every field',
    { gc: { interval: '5m', gracePeriod: 30, untagged: { olderThan: '7d' }, lease: '2m' } },
    { intervalMs: 300_000, gracePeriodMs: 30_000, untagged: { olderThan: '7d' }, leaseMs: 120_000 },
    { gracePeriodMs: 30_000, untaggedMaxAgeMs: 7 * 86_400_000 },
  ],
])('storage.gc: %s', (_name, storage, gc, policy) => {
  const c = parseConfig({ storage });
  expect(c.storage.gc).toEqual(gc);
  if (policy) expect(gcPolicyOf(c.storage.gc)).toEqual(policy);
});

test.each([
  [{ untagged: 'nope' }, 'config: storage.gc.untagged: must be keep or { olderThan: DURATION }'],
  [{ gracePeriod: 'soon' }, 'config: storage.gc.gracePeriod: must be a duration such as 90s, 5m or 24h'],
  [{ every: '1h' }, 'config: storage.gc.every'],
])('storage.gc %j is refused', (gc, message) => {
  expect(() => parseConfig({ storage: { gc } })).toThrow(message);
});
