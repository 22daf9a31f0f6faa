/**
 * Reads the JUnit XML that both OCI conformance suites write (Ginkgo's reporter for the released suite,
 * the redesigned suite's own writer on main) into a flat list of results, and summarizes it. Pure functions.
 */

export const SPEC_OUTCOMES = ['passed', 'failed', 'skipped'] as const;
export type SpecOutcome = (typeof SPEC_OUTCOMES)[number];

export interface SpecResult {
  name: string;
  outcome: SpecOutcome;
  /** Why it failed (failure/error message, else the captured output); empty for passed specs. */
  message: string;
}

export interface SuiteSummary {
  passed: number;
  failed: number;
  skipped: number;
  failures: SpecResult[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes XML character and entity references. */
export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1] === undefined ? undefined : decodeXml(match[1]);
}

/**
 * Maps a JUnit status to an outcome. Ginkgo writes passed/skipped/pending/failed/panicked/interrupted/
 * timedout; the main-branch suite writes passed/skipped/disabled/failure/error. Unknown statuses fail.
 */
export function outcomeOf(status: string | undefined, body: string): SpecOutcome {
  if (status === 'passed') return 'passed';
  if (status === 'skipped' || status === 'pending' || status === 'disabled') return 'skipped';
  if (status === undefined) {
    if (/<(failure|error)[\s>]/.test(body)) return 'failed';
    return /<skipped[\s/>]/.test(body) ? 'skipped' : 'passed';
  }
  return 'failed';
}

function failureMessage(body: string): string {
  const element = /<(failure|error)\b([^>]*)>([\s\S]*?)<\/\1>|<(failure|error)\b([^>]*)\/>/.exec(body);
  if (element) {
    const attrs = element[2] ?? element[5] ?? '';
    const message = attribute(` ${attrs}`, 'message');
    if (message) return message;
    if (element[3]) return decodeXml(element[3]);
  }
  const out = /<system-out>([\s\S]*?)<\/system-out>/.exec(body);
  return out?.[1] ? decodeXml(out[1]) : '';
}

/** Every `<testcase>` of a JUnit document, in order. */
export function parseJunit(xml: string): SpecResult[] {
  const results: SpecResult[] = [];
  const testcase = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const tag = ` ${match[1] ?? ''}`;
    const body = match[3] ?? '';
    const outcome = outcomeOf(attribute(tag, 'status'), body);
    results.push({
      name: attribute(tag, 'name') ?? '(unnamed)',
      outcome,
      message: outcome === 'failed' ? failureMessage(body).trim() : '',
    });
  }
  return results;
}

/** Counts outcomes and keeps the failed specs. */
export function summarize(results: readonly SpecResult[]): SuiteSummary {
  const count = (o: SpecOutcome) => results.filter((r) => r.outcome === o).length;
  return {
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    failures: results.filter((r) => r.outcome === 'failed'),
  };
}
