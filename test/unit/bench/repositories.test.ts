import { parseRepositoryBenchArgs } from '../../../bench/repositories/options.js';
import { renderRows, targetRows, type Figures } from '../../../bench/repositories/targets.js';
import { summarize } from '../../../bench/repositories/heap-summary.js';

describe('bench:repositories command line', () => {
  test.each([
    [[], { namespaces: 1000, repositories: 100, registries: 100, resyncMs: 15_000 }],
    [['--quick'], { namespaces: 100, repositories: 20, registries: 10, resyncMs: 15_000 }],
    [['--quick', '--namespaces', '300', '--resync', '5s'], { namespaces: 300, repositories: 20, registries: 10, resyncMs: 5_000 }],
    [['--registries', '0'], { namespaces: 1000, repositories: 100, registries: 0 }],
    [['--heap-snapshots', '/tmp/s'], { heapSnapshots: '/tmp/s' }],
  ])('%j', (argv, expected) => {
    expect(parseRepositoryBenchArgs(argv)).toMatchObject(expected);
  });

  test.each([
    [['--namespaces', '0'], /--namespaces: must be a whole number ≥ 1/],
    [['--repositories', '2.5'], /--repositories: must be a whole number ≥ 1/],
    [['--resync', 'soon'], /--resync/],
    [['--nope'], /Unknown option/],
  ])('%j is refused', (argv, message) => {
    expect(() => parseRepositoryBenchArgs(argv)).toThrow(message);
  });
});

const base: Figures = {
  namespaces: 1000,
  repositories: 100,
  convergeMs: 16_000,
  propagationWaitMs: 2_000,
  writesUntilConverged: 2100,
  steadyWrites: 0,
  steadyWindowMs: 32_000,
  newNamespaceMs: 300,
  rssMiB: 120,
  heapMiB: 40,
};
const fleet = { registries: 100, convergeMs: 20_000, writesUntilConverged: 1500, steadyWrites: 0, steadyWindowMs: 32_000, rssMiB: 130, heapMiB: 50 };

describe('bench:repositories targets', () => {
  const met = (f: Figures): Array<[string, boolean | undefined]> => targetRows(f).filter((r) => r.met !== undefined).map((r) => [r.figure.split(' ')[0]!, r.met]);

  test.each<[string, Figures, Array<[string, boolean | undefined]>]>([
    ['converged 14 s after the wait, no writes, no fleet', base, [['Converge,', true], ['Writes', true]]],
    ['15.1 s after the wait is late', { ...base, convergeMs: 17_100 }, [['Converge,', false], ['Writes', true]]],
    ['one write at steady state', { ...base, steadyWrites: 1 }, [['Converge,', true], ['Writes', false]]],
    ['fleet of 100 over 128 MiB', { ...base, fleet }, [['Converge,', true], ['Writes', true], ['Writes', true], ['Operator', false]]],
    ['fleet of 100 at 128 MiB', { ...base, fleet: { ...fleet, rssMiB: 128 } }, [['Converge,', true], ['Writes', true], ['Writes', true], ['Operator', true]]],
    ['a smaller fleet has no RSS verdict', { ...base, fleet: { ...fleet, registries: 10 } }, [['Converge,', true], ['Writes', true], ['Writes', true]]],
  ])('%s', (_name, figures, expected) => {
    expect(met(figures)).toEqual(expected);
  });

  test('the table names each target and verdict', () => {
    const table = renderRows(targetRows({ ...base, fleet }));
    expect(table).toContain('| 16.0 s (14.0 s after the wait) | ≤ 15.0 s after the wait | met |');
    expect(table).toContain('| 130 MiB / 50 MiB | RSS ≤ 128 MiB | **not met** |');
  });
});

describe('heap snapshot summary', () => {
  // node fields: type, name, id, self_size, edge_count; types: 0 hidden, 1 object, 2 string
  const snapshot = {
    snapshot: { meta: { node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'], node_types: [['hidden', 'object', 'string']] as [string[]] } },
    strings: ['Object', 'Map', 'a long string', 'x'],
    nodes: [1, 0, 1, 40, 0, 1, 0, 2, 24, 0, 1, 1, 3, 100, 0, 2, 2, 4, 64, 0, 2, 3, 5, 16, 0, 0, 3, 6, 8, 0],
  };

  test('self sizes by type and constructor, largest first; the largest strings', () => {
    expect(summarize(snapshot, 3)).toEqual({
      total: 252,
      groups: [
        { group: 'object:Map', count: 1, bytes: 100 },
        { group: 'string', count: 2, bytes: 80 },
        { group: 'object:Object', count: 2, bytes: 64 },
      ],
      strings: [
        { group: 'a long string', count: 1, bytes: 64 },
        { group: 'x', count: 1, bytes: 16 },
      ],
    });
  });
});
