/**
 * Manifest HEAD load with bombardier (Go, fasthttp; `go install github.com/codesenberg/bombardier@v1.2.6`), which
 * handles HEAD responses correctly where wrk 4.1 hangs. Its JSON report gives counts and latency percentiles.
 * Against the same GET it agrees with wrk within a few percent on this machine.
 */
import { runTool } from './run.js';
import { MANIFEST_ACCEPT, requireClean, type LoadResult, type LoadRun } from './wrk.js';

interface BombardierJson {
  result: {
    timeTakenSeconds: number;
    req1xx: number;
    req2xx: number;
    req3xx: number;
    req4xx: number;
    req5xx: number;
    others: number;
    errors?: Array<{ description: string; count: number }> | null;
    latency: { percentiles: Record<string, number> };
  };
}

/** Parses `bombardier -l -p r -o json` (latencies in µs). */
export function parseBombardierOutput(out: string): LoadResult {
  const { result } = JSON.parse(out) as BombardierJson;
  const errors = (result.errors ?? []).reduce((sum, e) => sum + e.count, 0);
  const non2xx = result.req1xx + result.req3xx + result.req4xx + result.req5xx + result.others;
  const requests = result.req2xx + non2xx;
  const percentile = (p: string): number => {
    const value = result.latency.percentiles[p];
    if (value === undefined) throw new Error(`bombardier report has no p${p} latency`);
    return value / 1000;
  };
  return {
    tool: 'bombardier',
    requestsPerSecond: result.timeTakenSeconds > 0 ? requests / result.timeTakenSeconds : 0,
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests,
    non2xx,
    socketErrors: errors,
  };
}

/** Runs bombardier with `method` and the manifest Accept header; errors make it throw. */
export async function runBombardier(run: LoadRun, method: 'GET' | 'HEAD'): Promise<LoadResult> {
  const args = ['-m', method, '-c', `${run.connections}`, '-d', `${run.seconds}s`, '-t', '5s'];
  args.push('-H', `Accept: ${MANIFEST_ACCEPT}`, '-l', '-p', 'r', '-o', 'json', run.url);
  const { stdout } = await runTool('bombardier', args, (run.seconds + 30) * 1000);
  return requireClean(parseBombardierOutput(stdout), run.url, stdout);
}
