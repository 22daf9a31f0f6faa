import { parseDuration } from '../../../src/shared/duration.js';

test.each([
  ['90s', 90_000],
  ['5m', 300_000],
  ['1h30m', 5_400_000],
  ['7d', 604_800_000],
  ['250ms', 250],
  ['1.5h', 5_400_000],
  ['', undefined],
  ['5', undefined],
  ['-5m', undefined],
  ['5 minutes', undefined],
  ['m', undefined],
])('%j', (text, ms) => expect(parseDuration(text)).toBe(ms));
