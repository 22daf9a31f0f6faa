/**
 * Runs the official OCI distribution-spec conformance suites (built by `scripts/install-tools.sh`) against a
 * registry and reads their JUnit reports:
 * - the released Ginkgo suite (`oci-conformance-ginkgo.test`) with all four workflows on
 *   (pull, push, content discovery, content management) and automatic cross-mount expected;
 * - the redesigned suite from the main branch (`oci-conformance-main`) with its defaults.
 * Reports go to a temporary directory (kept when something failed, for reading report.html), never the repo.
 * Credentials are optional, so the same functions run the suites with token auth on.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJunit, summarize, type SuiteSummary } from './junit.js';
import { run, tool } from './tools.js';

export interface ConformanceTarget {
  /** `http://127.0.0.1:PORT` */
  url: string;
  username?: string;
  password?: string;
  /** What is under test, added to the suite's name in the counts (e.g. `berth, memory storage`). */
  label?: string;
}

export interface ConformanceOptions {
  /** Main-branch suite only: a YAML config file (`OCI_CONFIGURATION`); environment variables still win. */
  configFile?: string;
  /** Extra `OCI_*` variables, e.g. to set a scope or switch a data set. */
  env?: Record<string, string>;
  /** Kill the suite after this long (default 10 minutes). */
  timeoutMs?: number;
}

export interface ConformanceOutcome extends SuiteSummary {
  suite: string;
  exitCode: number | null;
  /** Where junit.xml and report.html are (removed when every spec passed). */
  reportDir: string;
  skippedNames: string[];
}

/** The environment without any inherited `OCI_*` variable, so only what a run sets reaches the suite. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OCI_')));
}

function credentials(target: ConformanceTarget): Record<string, string> {
  if (target.username === undefined) return {};
  return { OCI_USERNAME: target.username, OCI_PASSWORD: target.password ?? '' };
}

/** A unique repository name pair for one run, so reruns never see each other's content. */
function repositories(prefix: string): [string, string] {
  const id = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return [`conformance/${prefix}-${id}`, `conformance/${prefix}-${id}-mount`];
}

/**
 * Environment of the released Ginkgo suite: all four workflows; automatic cross-mount disabled (a mount without
 * `from` is a 202 upload: issue 9, no catalog search).
 */
export function ginkgoEnv(target: ConformanceTarget, reportDir: string): Record<string, string> {
  const [repo, mount] = repositories('ginkgo');
  return {
    OCI_ROOT_URL: target.url,
    OCI_NAMESPACE: repo,
    OCI_CROSSMOUNT_NAMESPACE: mount,
    OCI_TEST_PULL: '1',
    OCI_TEST_PUSH: '1',
    OCI_TEST_CONTENT_DISCOVERY: '1',
    OCI_TEST_CONTENT_MANAGEMENT: '1',
    OCI_AUTOMATIC_CROSSMOUNT: '0',
    OCI_HIDE_SKIPPED_WORKFLOWS: '0',
    OCI_REPORT_DIR: reportDir,
    ...credentials(target),
  };
}

/** Environment of the main-branch suite: its defaults, plain HTTP, results in `reportDir`. */
export function mainEnv(target: ConformanceTarget, reportDir: string, configFile?: string): Record<string, string> {
  const [repo1, repo2] = repositories('main');
  return {
    OCI_REGISTRY: new URL(target.url).host,
    OCI_TLS: target.url.startsWith('https:') ? 'enabled' : 'disabled',
    OCI_REPO1: repo1,
    OCI_REPO2: repo2,
    OCI_RESULTS_DIR: reportDir,
    ...(configFile ? { OCI_CONFIGURATION: configFile } : {}),
    ...credentials(target),
  };
}

async function runSuite(
  suite: string,
  binary: string,
  args: string[],
  env: Record<string, string>,
  reportDir: string,
  timeoutMs: number,
): Promise<ConformanceOutcome> {
  const result = await run(binary, args, { env: { ...cleanEnv(), ...env }, cwd: reportDir, timeoutMs });
  const junitFile = join(reportDir, 'junit.xml');
  if (!existsSync(junitFile)) {
    throw new Error(
      `${suite} wrote no junit.xml (exit ${result.code})\nstdout:\n${result.stdout.slice(-4000)}\n` +
        `stderr:\n${result.stderr.slice(-4000)}`,
    );
  }
  const results = parseJunit(await readFile(junitFile, 'utf8'));
  const summary = summarize(results);
  const skippedNames = results.filter((r) => r.outcome === 'skipped').map((r) => r.name);
  if (summary.failed === 0 && result.code === 0) await rm(reportDir, { recursive: true, force: true });
  return { suite, exitCode: result.code, reportDir, skippedNames, ...summary };
}

function suiteName(suite: string, target: ConformanceTarget): string {
  return target.label ? `${suite} on ${target.label}` : suite;
}

/** Runs the released Ginkgo suite (pull, push, content discovery, content management, auto cross-mount). */
export async function runGinkgoConformance(
  target: ConformanceTarget,
  opts: ConformanceOptions = {},
): Promise<ConformanceOutcome> {
  const reportDir = await mkdtemp(join(tmpdir(), 'berth-conformance-ginkgo-'));
  const env = { ...ginkgoEnv(target, reportDir), ...opts.env };
  const args = ['-ginkgo.no-color'];
  const binary = tool('oci-conformance-ginkgo.test');
  return runSuite(suiteName('OCI conformance (released Ginkgo suite)', target), binary, args, env, reportDir, opts.timeoutMs ?? 600_000);
}

/** Runs the main-branch suite with its defaults. */
export async function runMainConformance(
  target: ConformanceTarget,
  opts: ConformanceOptions = {},
): Promise<ConformanceOutcome> {
  const reportDir = await mkdtemp(join(tmpdir(), 'berth-conformance-main-'));
  const env = { ...mainEnv(target, reportDir, opts.configFile), ...opts.env };
  const binary = tool('oci-conformance-main');
  return runSuite(suiteName('OCI conformance (main-branch suite)', target), binary, [], env, reportDir, opts.timeoutMs ?? 600_000);
}

/** One line of counts, as printed in CI output. */
export function formatCounts(o: ConformanceOutcome): string {
  return `${o.suite}: ${o.passed} passed, ${o.failed} failed, ${o.skipped} skipped (exit ${o.exitCode})`;
}

/** The counts followed by every failed spec with its message (first lines) and the report folder. */
export function formatOutcome(o: ConformanceOutcome): string {
  const lines = [formatCounts(o)];
  for (const f of o.failures) {
    const message = f.message.split('\n').slice(0, 4).join('\n      ');
    lines.push(`  ✗ ${f.name}\n      ${message}`);
  }
  if (o.failed > 0 || o.exitCode !== 0) lines.push(`  reports: ${o.reportDir}`);
  return lines.join('\n');
}
