/**
 * `npm run bench`: Berth against CNCF Distribution (Debian's docker-registry) on loopback, in one run, with the
 * machine's own limits beside them. Prints Markdown tables and writes the raw results as JSON (`--out`, by
 * default into a new temporary folder, never into the repository). Exit code 1 when any measurement failed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE, type BenchOptions } from './args.js';
import { cpuTable, limitsTable, resultsTable } from './report.js';
import { targetsTable } from './targets.js';
import { runBench, type BenchReport, type ServerSet } from './run-bench.js';
import { killRunningTools } from './run.js';

/** The repository root (this file is dist/bench/main.js). */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The JSON results path: `--out` (refused inside the repository) or a new temporary folder. */
async function resultsPath(out: string | undefined): Promise<string> {
  if (out === undefined) return join(await mkdtemp(join(tmpdir(), 'berth-bench-results-')), 'results.json');
  const path = resolve(out);
  const rel = relative(REPO_ROOT, path);
  if (!rel.startsWith('..') && !isAbsolute(rel)) {
    throw new Error(`--out ${out} is inside the repository; choose a path outside it`);
  }
  await mkdir(dirname(path), { recursive: true });
  return path;
}

function render(report: BenchReport, opts: BenchOptions): string {
  const { machine, loadavg } = report;
  const parts = [
    `## Berth vs Distribution ${opts.quick ? '(quick run) ' : ''}— ${report.roundsDone} round(s), median unless marked max`,
    '',
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryMiB} MiB, Linux ${machine.kernel}, Node ${machine.node}.`,
    `Load average (1/5/15 min): start ${loadavg.start}; per round ${loadavg.rounds.join(' | ')}; end ${loadavg.end}.`,
    '',
  ];
  if (report.limits) parts.push(limitsTable(report.limits), '');
  if (report.rows.length > 0) {
    parts.push(
      resultsTable(report.rows),
      '',
      'Ratio = Berth/Distribution: above 1 is better for MiB/s, layers/s and req/s; below 1 is better for ms and MiB.',
      '',
      cpuTable(report.scenarios),
      '',
    );
  }
  if (report.auth) parts.push(report.auth.markdown, '');
  if (report.workers) parts.push(report.workers.markdown, '');
  if (report.gc) parts.push(report.gc.markdown, '');
  if (report.targets.checks.length > 0) parts.push('## Targets (issue 15)', '', targetsTable(report.targets), '');
  if (report.stoppedEarly) parts.push(`Stopped early: ${report.stoppedEarly}`, '');
  if (report.errors.length > 0) parts.push('Failed measurements:', ...report.errors.map((e) => `- ${e}`), '');
  return parts.join('\n');
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const out = await resultsPath(opts.out);
  const workDir = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  const running: ServerSet = new Set();
  const cleanup = async () => {
    killRunningTools();
    await Promise.all([...running].map((server) => server.stop()));
    await rm(workDir, { recursive: true, force: true });
  };
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`bench: ${signal}, stopping servers and removing ${workDir}`);
    interrupt.abort();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  let report: BenchReport;
  try {
    report = await runBench(opts, workDir, running, log, interrupt.signal);
  } finally {
    await cleanup();
  }
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(render(report, opts));
  console.log(`Results (JSON): ${out}`);
  return report.errors.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
