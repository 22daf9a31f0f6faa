import { isMet, ratioText, resultsTable, summarize, targetText } from '../../../bench/report.js';
import { median } from '../../../bench/stats.js';
import type { ScenarioResult, Target } from '../../../bench/types.js';

const FLOOR: Target = { kind: 'ratioAndFloor', min: 1, floor: 400, floorLabel: '80% of lowest machine limit' };

describe('median', () => {
  test.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[5, Number.NaN, 1], 3],
    [[], Number.NaN],
  ])('median of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe('targets', () => {
  test.each<[string, Target, 'higher' | 'lower', number, number, boolean | undefined]>([
    ['faster than Distribution and above the floor', FLOOR, 'higher', 450, 420, true],
    ['faster than Distribution but under the floor', FLOOR, 'higher', 300, 200, false],
    ['above the floor but slower than Distribution', FLOOR, 'higher', 450, 460, false],
    ['ratio exactly 1.0 meets ≥ 1.0×', { kind: 'ratio', min: 1 }, 'higher', 100, 100, true],
    ['lower-is-better ratio', { kind: 'ratio', min: 1 }, 'lower', 10, 20, true],
    ['RSS under the cap, whatever Distribution does', { kind: 'berthMax', max: 150 }, 'lower', 149, 20, true],
    ['RSS over the cap', { kind: 'berthMax', max: 150 }, 'lower', 151, 400, false],
    ['nothing measured for Distribution', { kind: 'ratio', min: 1 }, 'higher', 100, Number.NaN, undefined],
    ['nothing measured for Berth', { kind: 'berthMax', max: 150 }, 'lower', Number.NaN, 20, undefined],
  ])('%s', (_name, target, better, berth, distribution, expected) => {
    expect(isMet(target, better, berth, distribution)).toBe(expected);
  });

  test.each([
    [1, '1.0×'],
    [1.25, '1.25×'],
    [3, '3.0×'],
    [0.8, '0.8×'],
  ])('ratio %d shows as %s', (x, text) => {
    expect(ratioText(x)).toBe(text);
  });

  test('target cells say what is compared', () => {
    expect(targetText(FLOOR, 'higher', 'MiB/s')).toBe('≥ 1.0× and ≥ 400 MiB/s (80% of lowest machine limit)');
    expect(targetText({ kind: 'ratio', min: 1.25 }, 'higher', 'MiB/s')).toBe('≥ 1.25×');
    expect(targetText({ kind: 'ratio', min: 1.25 }, 'lower', 'ms')).toBe('≤ 0.8×');
    expect(targetText({ kind: 'berthMax', max: 150 }, 'lower', 'MiB')).toBe('Berth ≤ 150 MiB');
    expect(targetText(undefined, 'higher', 'req/s')).toBe('—');
  });
});

describe('summarize and the table', () => {
  const push: ScenarioResult = {
    id: 'push-monolithic',
    title: 'push 1 GiB, POST + one PUT',
    unit: 'MiB/s',
    better: 'higher',
    samples: { berth: [300, 320, 310], distribution: [400, 380, 390] },
    target: FLOOR,
  };
  const rss: ScenarioResult = {
    id: 'rss-push',
    title: 'peak RSS',
    unit: 'MiB',
    better: 'lower',
    aggregate: 'max',
    samples: { berth: [90, 140, 100], distribution: [20, 30, 25] },
    target: { kind: 'berthMax', max: 150 },
  };

  test('medians, the ratio Berth/Distribution, and a missed target', () => {
    expect(summarize(push)).toMatchObject({ berth: 310, distribution: 390, met: false });
    expect(summarize(push).ratio).toBeCloseTo(310 / 390);
  });

  test('a max-aggregated scenario reports its highest sample', () => {
    expect(summarize(rss)).toMatchObject({ berth: 140, distribution: 30, met: true });
  });

  test('the Markdown table has one row per scenario with the ratio and the verdict', () => {
    const lines = resultsTable([summarize(push), summarize(rss)]).split('\n');
    expect(lines[0]).toBe('| Scenario | Berth | Distribution | Berth/Distribution | Target | Met? |');
    expect(lines[2]).toBe(
      '| push 1 GiB, POST + one PUT (MiB/s) | 310 | 390 | 0.79× | ≥ 1.0× and ≥ 400 MiB/s (80% of lowest machine limit) | **no** |',
    );
    expect(lines[3]).toBe('| peak RSS (MiB) | 140 | 30.0 | 4.67× | Berth ≤ 150 MiB | yes |');
  });
});
