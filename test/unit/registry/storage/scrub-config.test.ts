import { parseConfig } from '../../../../src/shared/registry-config.js';

test.each([
  ['no section: no schedule', {}, undefined],
  ['an empty section: weekly, 2 blobs at once', { scrub: {} }, { intervalMs: 7 * 86_400_000, concurrency: 2 }],
  ['every field', { scrub: { interval: '12h', concurrency: 8 } }, { intervalMs: 12 * 3_600_000, concurrency: 8 }],
])('storage.scrub: %s', (_name, storage, scrub) => {
  expect(parseConfig({ storage }).storage.scrub).toEqual(scrub);
});

test.each([
  [{ interval: 'often' }, 'config: storage.scrub.interval: must be a duration such as 90s, 5m or 24h'],
  [{ concurrency: 0 }, 'config: storage.scrub.concurrency: must be a whole number from 1 to 64'],
  [{ concurrency: 100 }, 'config: storage.scrub.concurrency: must be a whole number from 1 to 64'],
  [{ every: '1h' }, 'config: storage.scrub.every'],
])('storage.scrub %j is refused', (scrub, message) => {
  expect(() => parseConfig({ storage: { scrub } })).toThrow(message);
});
