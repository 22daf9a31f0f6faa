import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedCpus, cgroupCpuLimit, cpusFromCpuMax, cpusFromQuota } from '../../../src/registry/cluster/cpus.js';

test.each([
  ['max 100000', undefined],
  ['200000 100000', 2],
  ['150000 100000', 2],
  ['50000 100000', 1],
  ['400000 100000\n', 4],
  ['', undefined],
  ['garbage', undefined],
])('cpu.max %j allows %p CPUs', (text, cpus) => {
  expect(cpusFromCpuMax(text)).toBe(cpus);
});

test.each([
  [-1, 100000, undefined],
  [300000, 100000, 3],
  [250000, 100000, 3],
  [0, 100000, undefined],
  [100000, 0, undefined],
])('cfs quota %p / period %p allows %p CPUs', (quota, period, cpus) => {
  expect(cpusFromQuota(quota, period)).toBe(cpus);
});

describe('reading the cgroup folder', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-cgroup-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('v2: cpu.max', async () => {
    await writeFile(join(root, 'cpu.max'), '100000 100000\n');
    expect(cgroupCpuLimit(root)).toBe(1);
    expect(allowedCpus(root)).toBe(1);
  });

  test('v1: cpu/cpu.cfs_quota_us and cpu.cfs_period_us', async () => {
    await mkdir(join(root, 'cpu'));
    await writeFile(join(root, 'cpu', 'cpu.cfs_quota_us'), '100000\n');
    await writeFile(join(root, 'cpu', 'cpu.cfs_period_us'), '100000\n');
    expect(cgroupCpuLimit(root)).toBe(1);
  });

  test('no limit: every available CPU; a limit above them is capped', async () => {
    expect(cgroupCpuLimit(root)).toBeUndefined();
    expect(allowedCpus(root)).toBe(availableParallelism());
    await writeFile(join(root, 'cpu.max'), `${(availableParallelism() + 8) * 100000} 100000`);
    expect(allowedCpus(root)).toBe(availableParallelism());
  });
});
