/**
 * What a server process costs, read from /proc: resident memory (sampled while a scenario runs, for its peak)
 * and CPU time (user + system, all threads), so a scenario can report server CPU seconds next to throughput.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on Linux x86 and arm64). */
const CLOCK_TICKS = 100;

/** A `/proc/<pid>/status` field in KiB (`VmRSS`, `VmHWM`); NaN when absent. */
export function statusKiB(status: string, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** User + system CPU seconds from a `/proc/<pid>/stat` line (the command name may hold spaces and parens). */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field 3 (state) is fields[0], so utime (14) and stime (15) are fields[11] and fields[12].
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The process's CPU seconds so far; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

/** The process's resident memory now, in KiB; NaN once it is gone. */
export function rssKiB(pid: number): number {
  try {
    return statusKiB(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
  } catch {
    return Number.NaN;
  }
}

/** Samples VmRSS every `intervalMs` until stopped; `stop()` returns the highest sample in KiB. */
export function sampleRss(pid: number, intervalMs = 50): { stop(): number } {
  let peak = rssKiB(pid);
  const timer = setInterval(() => {
    const now = rssKiB(pid);
    if (now > peak || Number.isNaN(peak)) peak = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const last = rssKiB(pid);
      return Number.isNaN(peak) || last > peak ? last : peak;
    },
  };
}

/** The pids of `pid` and all its descendants (a cluster primary and its workers). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    try {
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

/** CPU seconds of the process and its descendants still alive (a worker replaced meanwhile loses its share). */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + (cpuSeconds(p) || 0), 0);
}

/** The largest RSS of one process in the tree, in KiB (the per-worker figure). */
export function maxRssInTreeKiB(pid: number): number {
  return Math.max(...processTree(pid).map((p) => rssKiB(p) || 0));
}
