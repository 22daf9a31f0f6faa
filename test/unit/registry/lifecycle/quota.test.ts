import { describe, expect, it } from '@jest/globals';
import { quotaDecision } from '../../../../src/registry/lifecycle/quota.js';

const MiB = 1024 * 1024;

describe('quotaDecision', () => {
  const cases: Array<[string, number | undefined, number, number | undefined, boolean]> = [
    ['no quota allows anything', undefined, 10 * MiB, 10 * MiB, true],
    ['within the quota', 10 * MiB, 4 * MiB, 5 * MiB, true],
    ['exactly at the quota is allowed', 10 * MiB, 4 * MiB, 6 * MiB, true],
    ['one byte over is refused', 10 * MiB, 4 * MiB, 6 * MiB + 1, false],
    ['a write adding nothing is allowed even over the quota', 10 * MiB, 12 * MiB, 0, true],
    ['unknown size below the quota is allowed', 10 * MiB, 9 * MiB, undefined, true],
    ['unknown size at the quota is refused', 10 * MiB, 10 * MiB, undefined, false],
    ['quota 0 refuses any byte', 0, 0, 1, false],
  ];
  it.each(cases)('%s', (_name, quotaBytes, usageBytes, growthBytes, ok) => {
    expect(quotaDecision({ repository: 'team/app', quotaBytes, usageBytes, growthBytes }).ok).toBe(ok);
  });

  it('names the repository, the quota, the usage and the push in its message', () => {
    const d = quotaDecision({ repository: 'team/app', quotaBytes: 10 * MiB, usageBytes: 9 * MiB, growthBytes: 2 * MiB });
    expect(d).toEqual({
      ok: false,
      message:
        'repository team/app would exceed its quota: it holds 9.0 MiB (9437184 bytes) of its quota of 10.0 MiB (10485760 bytes), ' +
        'and this push adds 2.0 MiB (2097152 bytes)',
    });
  });
});
