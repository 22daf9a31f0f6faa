/**
 * Manifest GET load with `wrk --latency`: a small Lua script sets the Accept header real clients send; the text
 * report is parsed for requests/s, p50/p99 latency and error counts. (wrk 4.1 cannot load HEAD: its parser waits
 * for the body a HEAD response announces but never sends, so HEAD goes through bombardier.ts.)
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run.js';

/** What clients send when they pull a manifest by tag. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** One load run's figures, whichever tool produced them. */
export interface LoadResult {
  tool: 'wrk' | 'bombardier';
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx. */
  non2xx: number;
  /** Connection-level errors (connect, read, write, timeout). */
  socketErrors: number;
}

export interface LoadRun {
  url: string;
  connections: number;
  seconds: number;
}

/** The Lua script: a GET with the Accept header. */
export function wrkScript(accept: string = MANIFEST_ACCEPT): string {
  return `wrk.method = "GET"\nwrk.headers["Accept"] = ${JSON.stringify(accept)}\n`;
}

/** Writes the script into `dir` and returns its path. */
export async function writeWrkScript(dir: string): Promise<string> {
  const path = join(dir, 'wrk-manifest-get.lua');
  await writeFile(path, wrkScript());
  return path;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** `123.45us` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`cannot read wrk duration ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Parses the text report of `wrk --latency`. */
export function parseWrkOutput(out: string): LoadResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const total = /^\s+(\d+) requests in /m.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error(`cannot read the wrk report:\n${out}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    tool: 'wrk',
    requestsPerSecond: Number(rps[1]),
    p50Ms: parseDuration(p50[1]!),
    p99Ms: parseDuration(p99[1]!),
    requests: Number(total[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** Throws unless every request succeeded. */
export function requireClean(result: LoadResult, url: string, report: string): LoadResult {
  if (result.non2xx > 0 || result.socketErrors > 0 || result.requests === 0) {
    throw new Error(
      `${result.tool} against ${url}: ${result.requests} requests, ${result.non2xx} not 2xx, ` +
        `${result.socketErrors} socket errors\n${report.slice(0, 2000)}`,
    );
  }
  return result;
}

/** Runs wrk (2 threads, or 1 for a single connection) with the GET script; errors make it throw. */
export async function runWrk(run: LoadRun, script: string): Promise<LoadResult> {
  const threads = Math.min(2, run.connections);
  const args = ['--latency', '-t', `${threads}`, '-c', `${run.connections}`, '-d', `${run.seconds}s`];
  args.push('--timeout', '5s', '-s', script, run.url);
  const { stdout } = await runTool('wrk', args, (run.seconds + 30) * 1000);
  return requireClean(parseWrkOutput(stdout), run.url, stdout);
}
