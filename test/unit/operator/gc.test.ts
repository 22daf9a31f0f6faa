import { parse as parseYaml } from 'yaml';
import { formatBytes, gcRunEvent, gcSpecProblem, latestGcRun, renderGc } from '../../../src/operator/registry/gc.js';
import { planRegistry } from '../../../src/operator/registry/plan.js';
import { computeRegistryStatus } from '../../../src/operator/registry/status.js';
import { withDefaults, type Registry } from '../../../src/operator/registry/types.js';
import type { KubeObject } from '../../../src/kube/objects.js';
import { parseConfig } from '../../../src/shared/registry-config.js';
import { gcPolicyOf } from '../../../src/registry/storage/gc/config.js';
import type { GcRun } from '../../../src/shared/schemas/report.js';
import { registry } from './registry-fixture.js';

type GcSpec = NonNullable<Registry['spec']>['gc'];

const spec = (gc: GcSpec) => withDefaults({ gc });

function renderedConfig(gc: GcSpec) {
  const r = planRegistry(registry({ gc }), { defaultImage: 'berth:1' });
  if (!r.ok) throw new Error(r.message);
  const secret = r.plan.apply.find((a) => a.object.metadata.name === 'reg-config')!.object as KubeObject & { data: Record<string, string> };
  return parseConfig(parseYaml(Buffer.from(secret.data['config.yaml']!, 'base64').toString('utf8')));
}

describe('spec.gc → storage.gc of the registry config', () => {
  test.each<[string, GcSpec, unknown, unknown]>([
    ['no spec.gc: no schedule', undefined, undefined, undefined],
    ['gc: {} turns it on with the defaults (daily, 1h grace, untagged kept)', {}, { interval: '24h', gracePeriod: '1h', untagged: 'keep' }, { gracePeriodMs: 3_600_000 }],
    ['enabled: false keeps the settings but no schedule', { enabled: false, interval: '1h' }, undefined, undefined],
    [
      'every field, untagged Delete',
      { interval: '6h', gracePeriod: '2h', untagged: { policy: 'Delete', olderThan: '7d' } },
      { interval: '6h', gracePeriod: '2h', untagged: { olderThan: '7d' } },
      { gracePeriodMs: 7_200_000, untaggedMaxAgeMs: 7 * 86_400_000 },
    ],
    ['untagged Keep ignores olderThan', { untagged: { policy: 'Keep', olderThan: '1d' } }, { interval: '24h', gracePeriod: '1h', untagged: 'keep' }, { gracePeriodMs: 3_600_000 }],
  ])('%s', (_name, gc, rendered, policy) => {
    expect(renderGc(spec(gc).gc)).toEqual(rendered);
    // the registry parses what the operator rendered into the policy the spec asked for
    const config = renderedConfig(gc);
    if (policy === undefined) expect(config.storage.gc).toBeUndefined();
    else expect(gcPolicyOf(config.storage.gc)).toEqual(policy);
  });

  test.each<[GcSpec, string | undefined]>([
    [{}, undefined],
    [{ interval: '1m', gracePeriod: '1m' }, undefined],
    [{ interval: '30s' }, 'spec.gc.interval "30s" must be a duration of at least 1m'],
    [{ gracePeriod: '10s' }, 'spec.gc.gracePeriod "10s" must be a duration of at least 1m'],
    [{ untagged: { policy: 'Delete', olderThan: '0s' } }, 'spec.gc.untagged.olderThan "0s" must be a duration of at least 1m'],
  ])('spec.gc %j: %s', (gc, problem) => {
    expect(gcSpecProblem(spec(gc).gc)).toBe(problem);
    const r = planRegistry(registry({ gc }), { defaultImage: 'berth:1' });
    expect(r.ok ? undefined : r.message).toBe(problem);
  });
});

const run = (start: string, over: Partial<GcRun> = {}): GcRun => ({
  startTime: `2030-01-02T${start}:00.000Z`,
  completionTime: `2030-01-02T${start}:02.500Z`,
  durationSeconds: 2.5,
  result: 'Succeeded',
  blobsDeleted: 3,
  bytesFreed: 1536,
  manifestsDeleted: 1,
  errors: 0,
  ...over,
});

describe('status.gc.lastRun', () => {
  test.each<[string, GcRun | undefined, GcRun | undefined, GcRun | undefined]>([
    ['nothing reported, nothing shown', undefined, undefined, undefined],
    ['a first report is shown', undefined, run('03:00'), run('03:00')],
    ['no report (a recreated ConfigMap): the shown run stays', run('03:00'), undefined, run('03:00')],
    ['a later report replaces the shown run', run('03:00'), run('04:00'), run('04:00')],
    ["an older report (another replica's, landing late) does not", run('04:00'), run('03:00'), run('04:00')],
    ['unknown fields of a newer registry are not carried over', undefined, { ...run('03:00'), extra: 1 } as GcRun, run('03:00')],
  ])('%s', (_name, shown, reported, expected) => {
    expect(latestGcRun(shown, reported)).toEqual(expected);
    const r = registry();
    if (shown) r.status = { gc: { lastRun: shown } };
    const status = computeRegistryStatus({ registry: r, now: new Date(), desiredReplicas: 1, gcRun: reported });
    expect(status.gc?.lastRun).toEqual(expected);
  });
});

describe('the Event of a completed run (deduplicated by its times)', () => {
  test.each<[string, GcRun | undefined, GcRun | undefined, unknown]>([
    ['no run', undefined, undefined, undefined],
    ['the same run again (a resync, a restarted operator)', run('03:00'), run('03:00'), undefined],
    [
      'a new run',
      run('03:00'),
      run('04:00'),
      { type: 'Normal', reason: 'GarbageCollected', message: 'garbage collection deleted 3 blob(s) (1.5 KiB) and 1 untagged manifest(s) in 2.5s' },
    ],
    ['the first run', undefined, run('03:00'), { type: 'Normal', reason: 'GarbageCollected' }],
    [
      'a failed run',
      run('03:00'),
      run('04:00', { result: 'Failed', errors: 1, blobsDeleted: 0, bytesFreed: 0, message: 'EIO: i/o error' }),
      { type: 'Warning', reason: 'GarbageCollectionFailed', message: 'garbage collection failed after 2.5s: EIO: i/o error' },
    ],
    [
      'a run that met broken manifests',
      undefined,
      run('04:00', { errors: 2, message: '2 kept manifest(s) have missing or unreadable bytes' }),
      { type: 'Warning', reason: 'GarbageCollected', message: expect.stringContaining('; 2 problem(s): 2 kept manifest(s)') },
    ],
  ])('%s', (_name, before, after, event) => {
    const got = gcRunEvent(before, after);
    if (event === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject(event as object);
  });
});

test.each([
  [0, '0 B'],
  [1023, '1023 B'],
  [1536, '1.5 KiB'],
  [5 * 1024 ** 3, '5.0 GiB'],
])('formatBytes(%d) = %s', (n, text) => {
  expect(formatBytes(n)).toBe(text);
});
