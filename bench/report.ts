/**
 * Turns samples into the report: one row per scenario (median or max of each server's samples, the ratio
 * Berth/Distribution, the target and whether it is met), rendered as Markdown tables. All pure.
 */
import { lowestLimit, type MachineLimits } from './limits.js';
import { formatNumber, maxOf, median, ratio } from './stats.js';
import type { Better, ScenarioResult, Target } from './types.js';

export interface ReportRow {
  id: string;
  scenario: string;
  unit: string;
  berth: number;
  distribution: number;
  /** Berth / Distribution. */
  ratio: number;
  target: string;
  /** undefined: no target, or nothing measured. */
  met: boolean | undefined;
  /** Samples behind each figure (rounds that succeeded), per server. */
  samples: { berth: number; distribution: number };
}

function aggregate(values: readonly number[], how: ScenarioResult['aggregate']): number {
  return how === 'max' ? maxOf(values) : median(values);
}

/** A ratio as a target cell shows it: `1.0×`, `1.25×`, `3.0×`. */
export function ratioText(x: number): string {
  const tenths = Math.abs(x * 10 - Math.round(x * 10)) < 1e-9;
  return `${x.toFixed(tenths ? 1 : 2)}×`;
}

/** The target as a table cell (for a lower-is-better ratio, the bound Berth/Distribution must stay under: 1/min). */
export function targetText(target: Target | undefined, better: Better, unit: string): string {
  if (!target) return '—';
  const sign = better === 'higher' ? '≥' : '≤';
  const bound = (min: number) => ratioText(better === 'higher' ? min : 1 / min);
  switch (target.kind) {
    case 'ratio':
      return `${sign} ${bound(target.min)}`;
    case 'ratioAndFloor':
      return `${sign} ${bound(target.min)} and ${sign} ${formatNumber(target.floor)} ${unit} (${target.floorLabel})`;
    case 'berthMax':
      return `Berth ≤ ${formatNumber(target.max)} ${unit}`;
  }
}

/** Whether Berth meets the target; undefined without a target or without the figures it needs. */
export function isMet(
  target: Target | undefined,
  better: Better,
  berth: number,
  distribution: number,
): boolean | undefined {
  if (!target || !Number.isFinite(berth)) return undefined;
  if (target.kind === 'berthMax') return berth <= target.max;
  const r = ratio(berth, distribution);
  if (!Number.isFinite(r)) return undefined;
  const ratioMet = better === 'higher' ? r >= target.min : r <= 1 / target.min;
  if (target.kind === 'ratio') return ratioMet;
  return ratioMet && (better === 'higher' ? berth >= target.floor : berth <= target.floor);
}

/** The row of one scenario. */
export function summarize(result: ScenarioResult): ReportRow {
  const berth = aggregate(result.samples.berth, result.aggregate);
  const distribution = aggregate(result.samples.distribution, result.aggregate);
  return {
    id: result.id,
    scenario: result.title,
    unit: result.unit,
    berth,
    distribution,
    ratio: ratio(berth, distribution),
    target: targetText(result.target, result.better, result.unit),
    met: isMet(result.target, result.better, berth, distribution),
    samples: { berth: result.samples.berth.length, distribution: result.samples.distribution.length },
  };
}

function metCell(met: boolean | undefined, hasTarget: boolean): string {
  if (!hasTarget) return '—';
  if (met === undefined) return 'n/a';
  return met ? 'yes' : '**no**';
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The main table: scenario, Berth, Distribution, ratio, target, met? */
export function resultsTable(rows: readonly ReportRow[]): string {
  return table(
    ['Scenario', 'Berth', 'Distribution', 'Berth/Distribution', 'Target', 'Met?'],
    rows.map((r) => [
      `${r.scenario} (${r.unit})`,
      formatNumber(r.berth),
      formatNumber(r.distribution),
      Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : 'n/a',
      r.target,
      metCell(r.met, r.target !== '—'),
    ]),
  );
}

/** Server CPU cost per unit of work (median), for the scenarios that record it: lower is cheaper. */
export function cpuTable(results: readonly ScenarioResult[]): string {
  const rows = results.flatMap((r) => {
    if (!r.cpu) return [];
    const berth = median(r.cpu.samples.berth);
    const distribution = median(r.cpu.samples.distribution);
    const ratioCell = Number.isFinite(ratio(berth, distribution)) ? `${ratio(berth, distribution).toFixed(2)}×` : 'n/a';
    return [[`${r.title} (${r.cpu.unit})`, formatNumber(berth), formatNumber(distribution), ratioCell]];
  });
  return table(['Server CPU (user+sys, median)', 'Berth', 'Distribution', 'Berth/Distribution'], rows);
}

/** The machine limits and the floor derived from them. */
export function limitsTable(limits: MachineLimits): string {
  const lowest = lowestLimit(limits);
  return table(
    ['Machine limit', 'MiB/s'],
    [
      ['sha256, one core (node crypto)', formatNumber(limits.sha256MiBps)],
      ['sequential write + fsync, storage filesystem', formatNumber(limits.diskFsyncMiBps)],
      ['loopback TCP (node net, two threads)', formatNumber(limits.loopbackMiBps)],
      [
        'lowest → floors: 40% for HTTP push (issue 15), 80% for pull (issue 2)',
        `${formatNumber(lowest)} → ${formatNumber(lowest * 0.4)} / ${formatNumber(lowest * 0.8)}`,
      ],
    ],
  );
}
