/**
 * The report channel, registry → operator: in a cluster the operator creates a ConfigMap `<registry>-report` next to
 * each Registry, and the registry pods (allowed only `get` and `patch` on that one ConfigMap) publish JSON documents
 * under its keys. These are the documents' shapes (one source: the operator validates what it reads against them,
 * and `Registry.status` reuses them), and the `report` section of the registry config that names the ConfigMap.
 */
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';
import { parseTime } from '../policy.js';
import { Duration } from './config-durations.js';
import { Default, StringEnum } from './kit.js';

// the same check as the policy schema's (registered here too, so the report documents validate on their own)
FormatRegistry.Set('date-time', (s) => parseTime(s) !== undefined);

/** The keys of the report ConfigMap, one document each. */
export const REPORT_KEYS = {
  /** The last garbage collection run ({@link GcReportDocumentSchema}). */
  gc: 'gc.json',
  /** Per-repository usage and the last retention runs ({@link UsageReportDocumentSchema}). */
  usage: 'usage.json',
} as const;
export type ReportKey = (typeof REPORT_KEYS)[keyof typeof REPORT_KEYS];

/** The largest document the registry writes and the operator reads (a ConfigMap holds at most 1 MiB in all). */
export const MAX_REPORT_BYTES = 256 * 1024;

export const GC_RESULTS = ['Succeeded', 'Failed'] as const;
export type GcResult = (typeof GC_RESULTS)[number];

const Count = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
const Time = (description: string) => Type.String({ format: 'date-time', maxLength: 64, description });

/** One finished garbage collection run. */
export const GcRunSchema = Type.Object(
  {
    startTime: Time('When the run started (RFC 3339).'),
    completionTime: Time('When it finished (RFC 3339).'),
    durationSeconds: Type.Number({ minimum: 0, description: 'How long it took.' }),
    result: StringEnum(GC_RESULTS, { description: 'Succeeded, or Failed (see message).' }),
    blobsDeleted: Count('Blobs deleted.'),
    bytesFreed: Count('Bytes of the blobs deleted.'),
    manifestsDeleted: Count('Untagged manifests deleted by policy.'),
    errors: Count('Problems met: kept manifests whose bytes are missing or unreadable, or the failure that ended the run.'),
    message: Type.Optional(Type.String({ maxLength: 1024, description: 'What went wrong, when something did.' })),
  },
  // unknown fields are tolerated (a newer registry may add some) and not carried over; this is also the shape of
  // Registry.status.gc.lastRun, and CRD schemas cannot say additionalProperties: false
  { description: 'The last garbage collection run of the registry.' },
);
export type GcRun = Static<typeof GcRunSchema>;

/** `gc.json`: the last run, as published by the pod that ran it. */
export const GcReportDocumentSchema = Type.Object(
  {
    lastRun: GcRunSchema,
    reporter: Type.Optional(Type.String({ maxLength: 253, description: 'The pod that ran it.' })),
  },
);
export type GcReportDocument = Static<typeof GcReportDocumentSchema>;

/** The last retention run of one repository. */
export const RetentionRunSchema = Type.Object(
  {
    time: Time('When it ran (RFC 3339).'),
    dryRun: Type.Boolean({ description: 'Whether it only reported.' }),
    deletedTags: Count('Tags deleted (in a dry run: that would be).'),
    deletedManifests: Count('Manifests deleted with their last tag (in a dry run: that would be).'),
    tags: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 20, description: 'The first of those tags.' }),
  },
  { additionalProperties: false },
);
export type RetentionRun = Static<typeof RetentionRunSchema>;

/** What one repository holds, and its last retention run. */
export const RepositoryReportSchema = Type.Object(
  {
    bytes: Count('Bytes held, each blob counted once.'),
    tags: Count('Tags.'),
    lastPushTime: Type.Optional(Time('When a tag was last pushed.')),
    quotaBytes: Type.Optional(Count('The quota in force.')),
    retention: Type.Optional(RetentionRunSchema),
  },
  { additionalProperties: false },
);
export type RepositoryReport = Static<typeof RepositoryReportSchema>;

/** `usage.json`: every repository's usage by name, as counted by the pod that published it. */
export const UsageReportDocumentSchema = Type.Object(
  {
    observedTime: Time('When these figures were taken.'),
    repositories: Type.Record(Type.String({ maxLength: 255 }), RepositoryReportSchema),
    truncated: Type.Optional(Type.Boolean({ description: 'True when repositories were left out to stay within the size bound.' })),
    reporter: Type.Optional(Type.String({ maxLength: 253, description: 'The pod that published it.' })),
  },
  { additionalProperties: false },
);
export type UsageReportDocument = Static<typeof UsageReportDocumentSchema>;

/** `report` in the registry config: where a registry in a cluster publishes its reports. */
export const ReportConfigSchema = Type.Object(
  {
    configMap: Type.Object(
      {
        namespace: Type.String({ maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', errorMessage: 'must be a namespace name' }),
        name: Type.String({
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
          errorMessage: 'must be a ConfigMap name',
        }),
      },
      { additionalProperties: false, description: 'The ConfigMap the operator made for these reports (patched, never created).' },
    ),
    minInterval: Default(Duration('Writes to the ConfigMap are at least this far apart; documents published meanwhile are coalesced.'), '10s'),
  },
  {
    additionalProperties: false,
    description:
      "In a cluster: publish reports (the last garbage collection run…) to a ConfigMap the operator reads. Credentials: $KUBECONFIG, else the pod's ServiceAccount.",
  },
);
