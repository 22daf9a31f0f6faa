/**
 * How many CPUs this process may use: the cgroup CPU limit (a Kubernetes pod's `resources.limits.cpu`), rounded
 * up, capped by `os.availableParallelism()` (the CPUs the scheduler lets it run on). The default of
 * `berth serve --workers`. cgroup v2 keeps the limit in `cpu.max` (`<quota> <period>` or `max <period>`), v1 in
 * `cpu.cfs_quota_us` (-1 when unlimited) and `cpu.cfs_period_us`.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** CPUs allowed by a cgroup v2 `cpu.max` text; undefined when unlimited or unreadable. */
export function cpusFromCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  return cpusFromQuota(Number(quota), Number(period ?? 100_000));
}

/** CPUs allowed by a CFS quota and period (cgroup v1, microseconds); undefined when unlimited or nonsense. */
export function cpusFromQuota(quotaUs: number, periodUs: number): number | undefined {
  if (!Number.isFinite(quotaUs) || !Number.isFinite(periodUs) || quotaUs <= 0 || periodUs <= 0) return undefined;
  return Math.max(1, Math.ceil(quotaUs / periodUs));
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The cgroup CPU limit of this process, if any (v2 first, then v1). */
export function cgroupCpuLimit(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = read(`${root}/cpu.max`);
  if (v2 !== undefined) return cpusFromCpuMax(v2);
  for (const dir of [`${root}/cpu`, `${root}/cpu,cpuacct`]) {
    const quota = read(`${dir}/cpu.cfs_quota_us`);
    const period = read(`${dir}/cpu.cfs_period_us`);
    if (quota !== undefined && period !== undefined) return cpusFromQuota(Number(quota), Number(period));
  }
  return undefined;
}

/** The default worker count: the cgroup limit when there is one, never more than the CPUs available. */
export function allowedCpus(root?: string): number {
  const available = availableParallelism();
  return Math.min(available, cgroupCpuLimit(root) ?? available);
}
