/**
 * The storage lifecycle parts of a Repository (issue 12): `spec.retention`, `spec.quota`, `spec.immutableTags`,
 * and what the registry reports back in `status.usage` and `status.retention`. The operator copies the spec parts
 * into the Registry's access policy (its `lifecycle` section, `schemas/policy.ts`); the registry enforces them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IntOrString } from './kit.js';
import { QUANTITY_PATTERN } from '../quantity.js';
import { TAG_PATTERN } from '../tag-patterns.js';

const DURATION = '^([0-9]+(s|m|h))+$';

const TagPatterns = (description: string) =>
  Type.Array(Type.String({ maxLength: 128, pattern: TAG_PATTERN }), { maxItems: 32, 'x-kubernetes-list-type': 'set', description });

export const RetentionSchema = Type.Object(
  {
    keepLast: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100000, format: 'int32', description: 'Keep the N most recently pushed tags.' }),
    ),
    olderThan: Type.Optional(
      Type.String({
        maxLength: 16,
        pattern: DURATION,
        description: 'Delete tags pushed longer ago than this (for example 720h). With keepLast, a tag must be both outside the newest N and older than this to go.',
      }),
    ),
    keepTags: Type.Optional(TagPatterns('Tags matching any of these patterns are never deleted (* any characters, ? one character).')),
    dryRun: Type.Optional(Type.Boolean({ description: 'Only report in status.retention what would be deleted.' })),
  },
  {
    description:
      'Which tags the registry deletes on its retention schedule (storage.lifecycle.retentionInterval, or `berth retention`). Immutable tags are never deleted; manifests left without a tag by it are deleted with their index children and referrers that nothing else keeps, and garbage collection then frees the bytes.',
    'x-kubernetes-validations': [{ rule: 'has(self.keepLast) || has(self.olderThan)', message: 'retention needs keepLast, olderThan, or both' }],
  },
);

export const QuotaSchema = Type.Object(
  {
    size: IntOrString({
      pattern: QUANTITY_PATTERN,
      description: 'Bytes the repository may hold (each blob counted once): a quantity such as 10Gi or 500M, or a byte count.',
      'x-kubernetes-validations': [
        { rule: 'type(self) != int || self >= 0', message: 'quota.size must not be negative' },
      ],
    }),
  },
  { description: 'A push that would make the repository hold more than this is refused (DENIED, 403).' },
);

export const ImmutableTagsSchema = TagPatterns(
  'Tags matching these patterns (such as v*) can be pushed once: pushing one again with another digest, or deleting it, is refused (DENIED, 409); the same digest again is accepted.',
);

export const RepositoryUsageSchema = Type.Object(
  {
    bytes: Type.Integer({ format: 'int64', description: 'Bytes the repository holds, each blob counted once.' }),
    size: Type.String({ description: 'The same, for people (12.3 MiB).' }),
    tags: Type.Integer({ format: 'int32', description: 'Number of tags.' }),
    lastPushTime: Type.Optional(Type.String({ format: 'date-time', description: 'When a tag was last pushed.' })),
    quotaBytes: Type.Optional(Type.Integer({ format: 'int64', description: 'The quota in force in the registry, in bytes.' })),
    observedTime: Type.String({ format: 'date-time', description: 'When the registry reported these figures.' }),
  },
  { description: 'What the repository holds, as the registry reported it.' },
);

export const RetentionStatusSchema = Type.Object(
  {
    lastRunTime: Type.String({ format: 'date-time', description: 'When retention last ran for this repository.' }),
    dryRun: Type.Boolean({ description: 'Whether that run only reported.' }),
    deletedTags: Type.Integer({ format: 'int32', description: 'Tags it deleted (or, in a dry run, would delete).' }),
    tags: Type.Optional(Type.Array(Type.String(), { maxItems: 50, description: 'Those tags (at most 50).' })),
    deletedManifests: Type.Optional(Type.Integer({ format: 'int32', description: 'Manifests it deleted (or would).' })),
  },
  { description: 'The last retention run, as the registry reported it.' },
);

export type RetentionSpec = Static<typeof RetentionSchema>;
export type QuotaSpec = Static<typeof QuotaSchema>;
export type RepositoryUsage = Static<typeof RepositoryUsageSchema>;
export type RetentionStatus = Static<typeof RetentionStatusSchema>;
