/**
 * `Registry.spec.gc` (what the operator renders into the registry config's `storage.gc`) and `Registry.status.gc`
 * (the last run, as the registry reported it through the report channel: the same {@link GcRunSchema}).
 */
import { Type } from '@sinclair/typebox';
import { Default, StringEnum } from './kit.js';
import { GcRunSchema } from './report.js';

const Duration = (description: string) =>
  Type.String({ maxLength: 16, pattern: '^([0-9]+(s|m|h|d))+$', description: `${description} For example 90s, 30m, 24h or 7d.` });

export const UNTAGGED_POLICIES = ['Keep', 'Delete'] as const;

export const RegistryGcSchema = Type.Object(
  {
    enabled: Default(Type.Boolean({ description: 'Collect garbage on the interval (false keeps the settings but stops the runs).' }), true),
    interval: Default(Duration('How often the registry collects garbage (replicas take turns through a lease; ±10 % jitter). At least 1m.'), '24h'),
    gracePeriod: Default(
      Duration(
        'Unreferenced blobs younger than this stay: it must exceed the time a push takes from uploading a layer to pushing its manifest. At least 1m.',
      ),
      '1h',
    ),
    untagged: Default(
      Type.Object(
        {
          policy: Default(
            StringEnum(UNTAGGED_POLICIES, {
              description:
                'Keep untagged manifests (the default), or Delete those older than olderThan (never the child of a kept index or the subject of a kept referrer).',
            }),
            'Keep',
          ),
          olderThan: Default(Duration('With policy Delete: how old an untagged manifest must be to go.'), '14d'),
        },
        { description: 'What happens to manifests no tag points to.' },
      ),
      {},
    ),
  },
  {
    description:
      'Online garbage collection: blobs no manifest references (and, if asked, old untagged manifests) are deleted while pushes and pulls go on. Absent: never collected (berth gc by hand still works). The last run shows in status.gc.',
  },
);

export const RegistryGcStatusSchema = Type.Object(
  { lastRun: Type.Optional(GcRunSchema) },
  { description: 'Garbage collection, as the registry pods report it.' },
);
