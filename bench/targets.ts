/**
 * Issue 15's performance targets in one place: the scenario declarations take their row targets from
 * {@link ISSUE_15}, and {@link issue15Checks} turns the report's rows (plus the machine limits and the token rate)
 * into the checklist the report ends with: for each target the figure, the ratio, the target and whether it is
 * met. All pure.
 */
import { lowestLimit, type MachineLimits } from './limits.js';
import { ratioText, type ReportRow } from './report.js';
import { formatNumber } from './stats.js';

export const ISSUE_15 = {
  /** skopeo, podman and ctr push and pull of the big layer: Berth ≥ this × Distribution. */
  clientRatio: 1.25,
  /** HTTP push (monolithic and chunked): Berth ≥ this × Distribution … */
  httpPushRatio: 1.25,
  /** … and ≥ this share of the lowest machine limit. */
  httpPushLimitShare: 0.4,
  /** Manifest GET at c=1: requests/s ≥ this × Distribution … */
  manifestC1Ratio: 1,
  /** … with p99 ≤ this × Distribution's. */
  manifestC1P99Ratio: 1,
  /** Manifest GET at c=64: requests/s ≥ this × Distribution. */
  manifestC64Ratio: 3,
  tokensPerSecond: 5000,
  /** Peak RSS of one worker during a big-layer push, MiB. */
  rssPerWorkerMiB: 128,
} as const;

/** One line of the checklist. */
export interface TargetCheck {
  /** What is measured (the scenario's title, or a derived figure's name). */
  name: string;
  /** Berth's figure, with what it is compared to. */
  figure: string;
  /** Berth/Distribution, Berth's share of the machine limit, or Berth/target. */
  ratio: string;
  target: string;
  /** undefined: the figures it needs were not measured. */
  met: boolean | undefined;
}

export interface TargetInputs {
  rows: readonly ReportRow[];
  limits: MachineLimits | undefined;
  /** Token issuance (auth phase, `--workers 1`), tokens/s. */
  tokensPerSecond: number | undefined;
}

const CLIENT_ROWS = ['skopeo-push', 'skopeo-pull', 'podman-push', 'podman-pull', 'ctr-push', 'ctr-pull'] as const;
const HTTP_PUSH_ROWS = ['push-monolithic', 'push-chunked'] as const;

const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');

/** A Berth/Distribution ratio check; `better` says which way the ratio must go. */
function ratioCheck(row: ReportRow, min: number, better: 'higher' | 'lower', name = row.scenario): TargetCheck {
  const met = Number.isFinite(row.ratio) ? (better === 'higher' ? row.ratio >= min : row.ratio <= min) : undefined;
  return {
    name,
    figure: `${formatNumber(row.berth)} ${row.unit} (Distribution ${formatNumber(row.distribution)})`,
    ratio: `${times(row.ratio)} Distribution`,
    target: `${better === 'higher' ? '≥' : '≤'} ${ratioText(min)} Distribution`,
    met,
  };
}

function limitShareCheck(row: ReportRow, limits: MachineLimits | undefined): TargetCheck {
  const share = ISSUE_15.httpPushLimitShare;
  const name = `${row.scenario}: share of the lowest machine limit`;
  const target = `≥ ${share * 100}% of the lowest machine limit`;
  if (!limits) return { name, figure: `${formatNumber(row.berth)} ${row.unit}`, ratio: 'n/a (limits not measured)', target, met: undefined };
  const lowest = lowestLimit(limits);
  const got = row.berth / lowest;
  return {
    name,
    figure: `${formatNumber(row.berth)} of ${formatNumber(lowest)} MiB/s`,
    ratio: Number.isFinite(got) ? `${(got * 100).toFixed(0)}%` : 'n/a',
    target,
    met: Number.isFinite(got) ? got >= share : undefined,
  };
}

function rssCheck(row: ReportRow): TargetCheck {
  const max = ISSUE_15.rssPerWorkerMiB;
  return {
    name: `${row.scenario}, per worker (Berth runs --workers 1)`,
    figure: `${formatNumber(row.berth)} MiB (Distribution ${formatNumber(row.distribution)})`,
    ratio: `${times(row.berth / max)} target`,
    target: `≤ ${max} MiB per worker`,
    met: Number.isFinite(row.berth) ? row.berth <= max : undefined,
  };
}

function tokensCheck(tokensPerSecond: number): TargetCheck {
  const min = ISSUE_15.tokensPerSecond;
  return {
    name: 'token issuance (robot + Basic, c=16, --workers 1)',
    figure: `${formatNumber(tokensPerSecond)} tokens/s`,
    ratio: `${times(tokensPerSecond / min)} target`,
    target: `≥ ${formatNumber(min)} tokens/s`,
    met: Number.isFinite(tokensPerSecond) ? tokensPerSecond >= min : undefined,
  };
}

/**
 * The issue 15 checklist from one run's figures, in the issue's order. `missing` names the targets this run did
 * not measure (their phase did not run, or every sample failed).
 */
export function issue15Checks({ rows, limits, tokensPerSecond }: TargetInputs): { checks: TargetCheck[]; missing: string[] } {
  const byId = new Map(rows.filter((r) => Number.isFinite(r.berth)).map((r) => [r.id, r]));
  const checks: TargetCheck[] = [];
  const missing: string[] = [];
  const withRow = (id: string, build: (row: ReportRow) => TargetCheck[]) => {
    const row = byId.get(id);
    if (row) checks.push(...build(row));
    else missing.push(id);
  };
  for (const id of CLIENT_ROWS) withRow(id, (row) => [ratioCheck(row, ISSUE_15.clientRatio, 'higher')]);
  for (const id of HTTP_PUSH_ROWS) {
    withRow(id, (row) => [ratioCheck(row, ISSUE_15.httpPushRatio, 'higher'), limitShareCheck(row, limits)]);
  }
  withRow('manifest-get-c1-rps', (row) => [ratioCheck(row, ISSUE_15.manifestC1Ratio, 'higher')]);
  withRow('manifest-get-c1-p99', (row) => [ratioCheck(row, ISSUE_15.manifestC1P99Ratio, 'lower')]);
  withRow('manifest-get-c64-rps', (row) => [ratioCheck(row, ISSUE_15.manifestC64Ratio, 'higher')]);
  if (tokensPerSecond !== undefined && Number.isFinite(tokensPerSecond)) checks.push(tokensCheck(tokensPerSecond));
  else missing.push('tokens/s (auth phase)');
  withRow('rss-push', (row) => [rssCheck(row)]);
  return { checks, missing };
}

/** Token issuance from the auth phase's JSON (`tokens.rps`), if it is there. */
export function tokensPerSecondOf(authJson: unknown): number | undefined {
  if (typeof authJson !== 'object' || authJson === null) return undefined;
  const tokens = (authJson as { tokens?: unknown }).tokens;
  if (typeof tokens !== 'object' || tokens === null) return undefined;
  const rps = (tokens as { rps?: unknown }).rps;
  return typeof rps === 'number' ? rps : undefined;
}

function cell(met: boolean | undefined): string {
  if (met === undefined) return 'n/a';
  return met ? 'yes' : '**no**';
}

/** The checklist as a Markdown table, followed by what was not measured. */
export function targetsTable({ checks, missing }: { checks: readonly TargetCheck[]; missing: readonly string[] }): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const header = ['Target (issue 15)', 'Figure (median; RSS max)', 'Ratio', 'Target', 'Met?'];
  const lines = [line(header), line(header.map(() => '---'))];
  lines.push(...checks.map((c) => line([c.name, c.figure, c.ratio, c.target, cell(c.met)])));
  if (missing.length > 0) lines.push('', `Not measured in this run: ${missing.join(', ')}.`);
  return lines.join('\n');
}
