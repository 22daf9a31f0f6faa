import type { MachineLimits } from '../../../bench/limits.js';
import type { ReportRow } from '../../../bench/report.js';
import { issue15Checks, targetsTable, tokensPerSecondOf, type TargetCheck } from '../../../bench/targets.js';

function row(id: string, scenario: string, unit: string, berth: number, distribution: number): ReportRow {
  const ratio = distribution > 0 ? berth / distribution : Number.NaN;
  return { id, scenario, unit, berth, distribution, ratio, target: '', met: undefined, samples: { berth: 3, distribution: 3 } };
}

const LIMITS: MachineLimits = { sha256MiBps: 1000, diskFsyncMiBps: 800, loopbackMiBps: 2000 };

/** A full run: every row issue 15 names. */
const FULL: ReportRow[] = [
  row('skopeo-push', 'skopeo push 1 GiB', 'MiB/s', 250, 200),
  row('skopeo-pull', 'skopeo pull 1 GiB', 'MiB/s', 240, 200),
  row('podman-push', 'podman push 1 GiB', 'MiB/s', 100, 100),
  row('podman-pull', 'podman pull 1 GiB', 'MiB/s', 130, 100),
  row('ctr-push', 'ctr push 1 GiB', 'MiB/s', 300, 200),
  row('ctr-pull', 'ctr pull 1 GiB', 'MiB/s', 90, 100),
  row('push-monolithic', 'push 1 GiB, POST + one PUT', 'MiB/s', 330, 250),
  row('push-chunked', 'push 1 GiB, PATCH 16 MiB chunks', 'MiB/s', 300, 250),
  row('pull', 'pull 1 GiB', 'MiB/s', 900, 800),
  row('manifest-get-c1-rps', 'manifest GET (wrk), c=1', 'req/s', 2000, 2000),
  row('manifest-get-c1-p99', 'manifest GET, c=1, p99', 'ms', 1.2, 1.0),
  row('manifest-get-c64-rps', 'manifest GET (wrk), c=64', 'req/s', 9000, 3000),
  row('rss-push', 'peak RSS during the 1 GiB pushes (max)', 'MiB', 140, 30),
];

const verdicts = (checks: TargetCheck[]) => checks.map((c) => [c.name, c.met]);

describe('issue 15 checklist', () => {
  test('every target of a full run, in the issue order, with its verdict', () => {
    const { checks, missing } = issue15Checks({ rows: FULL, limits: LIMITS, tokensPerSecond: 4000 });
    expect(missing).toEqual([]);
    expect(verdicts(checks)).toEqual([
      ['skopeo push 1 GiB', true], // 1.25× is enough
      ['skopeo pull 1 GiB', false], // 1.20×
      ['podman push 1 GiB', false],
      ['podman pull 1 GiB', true],
      ['ctr push 1 GiB', true],
      ['ctr pull 1 GiB', false],
      ['push 1 GiB, POST + one PUT', true], // 1.32×
      ['push 1 GiB, POST + one PUT: share of the lowest machine limit', true], // 330 of 800: 41%
      ['push 1 GiB, PATCH 16 MiB chunks', false], // 1.20×
      ['push 1 GiB, PATCH 16 MiB chunks: share of the lowest machine limit', false], // 300 of 800: 38%
      ['manifest GET (wrk), c=1', true], // 1.0× is enough
      ['manifest GET, c=1, p99', false], // p99 1.2× Distribution's
      ['manifest GET (wrk), c=64', true], // exactly 3×
      ['token issuance (robot + Basic, c=16, --workers 1)', false],
      ['peak RSS during the 1 GiB pushes (max), per worker (Berth runs --workers 1)', false], // 140 > 128
    ]);
  });

  test.each<[string, Partial<TargetCheck>]>([
    ['skopeo push 1 GiB', { figure: '250 MiB/s (Distribution 200)', ratio: '1.25× Distribution', target: '≥ 1.25× Distribution' }],
    [
      'push 1 GiB, POST + one PUT: share of the lowest machine limit',
      { figure: '330 of 800 MiB/s', ratio: '41%', target: '≥ 40% of the lowest machine limit' },
    ],
    ['manifest GET, c=1, p99', { figure: '1.20 ms (Distribution 1.00)', ratio: '1.20× Distribution', target: '≤ 1.0× Distribution' }],
    ['manifest GET (wrk), c=64', { ratio: '3.00× Distribution', target: '≥ 3.0× Distribution' }],
    ['token issuance (robot + Basic, c=16, --workers 1)', { figure: '4,000 tokens/s', ratio: '0.80× target', target: '≥ 5,000 tokens/s' }],
    [
      'peak RSS during the 1 GiB pushes (max), per worker (Berth runs --workers 1)',
      { figure: '140 MiB (Distribution 30.0)', ratio: '1.09× target', target: '≤ 128 MiB per worker' },
    ],
  ])('%s: figure, ratio and target', (name, expected) => {
    const { checks } = issue15Checks({ rows: FULL, limits: LIMITS, tokensPerSecond: 4000 });
    expect(checks.find((c) => c.name === name)).toMatchObject(expected);
  });

  test('a partial run (--only podman) names what it did not measure', () => {
    const rows = FULL.filter((r) => r.id.startsWith('podman-') || r.id === 'rss-push');
    const { checks, missing } = issue15Checks({ rows, limits: undefined, tokensPerSecond: undefined });
    expect(checks.map((c) => c.name)).toEqual([
      'podman push 1 GiB',
      'podman pull 1 GiB',
      'peak RSS during the 1 GiB pushes (max), per worker (Berth runs --workers 1)',
    ]);
    expect(missing).toEqual([
      'skopeo-push',
      'skopeo-pull',
      'ctr-push',
      'ctr-pull',
      'push-monolithic',
      'push-chunked',
      'manifest-get-c1-rps',
      'manifest-get-c1-p99',
      'manifest-get-c64-rps',
      'tokens/s (auth phase)',
    ]);
  });

  test('HTTP push without the machine limits: the ratio is checked, the share is n/a', () => {
    const rows = FULL.filter((r) => r.id === 'push-monolithic');
    const { checks } = issue15Checks({ rows, limits: undefined, tokensPerSecond: undefined });
    expect(checks.map((c) => [c.ratio, c.met])).toEqual([
      ['1.32× Distribution', true],
      ['n/a (limits not measured)', undefined],
    ]);
  });

  test('a row whose Berth samples all failed counts as not measured; a Distribution failure leaves the verdict open', () => {
    const rows = [row('ctr-push', 'ctr push', 'MiB/s', Number.NaN, 100), row('ctr-pull', 'ctr pull', 'MiB/s', 100, Number.NaN)];
    const { checks, missing } = issue15Checks({ rows, limits: LIMITS, tokensPerSecond: undefined });
    expect(missing).toContain('ctr-push');
    expect(checks.map((c) => [c.name, c.met])).toEqual([['ctr pull', undefined]]);
  });
});

describe('token rate from the auth JSON', () => {
  test.each<[string, unknown, number | undefined]>([
    ['the auth phase result', { rounds: 3, tokens: { rps: 1234.5, p99Ms: 9 } }, 1234.5],
    ['no auth phase', undefined, undefined],
    ['no tokens figure', { rounds: 0 }, undefined],
    ['a non-number', { tokens: { rps: '12' } }, undefined],
  ])('%s', (_name, json, expected) => {
    expect(tokensPerSecondOf(json)).toBe(expected);
  });
});

describe('the targets table', () => {
  test('one line per check, verdicts as yes / **no** / n/a, then what was not measured', () => {
    const checks: TargetCheck[] = [
      { name: 'a', figure: '1', ratio: '1.30× Distribution', target: '≥ 1.25× Distribution', met: true },
      { name: 'b', figure: '2', ratio: '0.50× target', target: '≥ 5,000 tokens/s', met: false },
      { name: 'c', figure: '3', ratio: 'n/a', target: '≥ 40%', met: undefined },
    ];
    expect(targetsTable({ checks, missing: ['tokens/s (auth phase)'] }).split('\n')).toEqual([
      '| Target (issue 15) | Figure (median; RSS max) | Ratio | Target | Met? |',
      '| --- | --- | --- | --- | --- |',
      '| a | 1 | 1.30× Distribution | ≥ 1.25× Distribution | yes |',
      '| b | 2 | 0.50× target | ≥ 5,000 tokens/s | **no** |',
      '| c | 3 | n/a | ≥ 40% | n/a |',
      '',
      'Not measured in this run: tokens/s (auth phase).',
    ]);
  });
});
