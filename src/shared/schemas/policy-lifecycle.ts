/**
 * The `lifecycle` section of the access policy: per repository, the immutable tag patterns, the quota in bytes and
 * the retention rule. The operator renders it from each Repository's spec; the registry enforces it.
 *
 * @example
 * ```yaml
 * lifecycle:
 *   - repository: team-a/api
 *     immutableTags: ['v*']
 *     quotaBytes: 1073741824
 *     retention: { keepLast: 10, olderThan: 720h, keepTags: [latest], dryRun: false }
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { TAG_PATTERN } from '../tag-patterns.js';

const NAME = '^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$';
const Patterns = Type.Array(Type.String({ pattern: TAG_PATTERN, errorMessage: '"{value}" is not a tag pattern (tag characters, * and ?)' }));

export const PolicyRetentionSchema = Type.Object(
  {
    keepLast: Type.Optional(Type.Integer({ minimum: 0 })),
    olderThan: Type.Optional(
      Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$', errorMessage: 'must be a duration such as 720h or 30d' }),
    ),
    keepTags: Type.Optional(Patterns),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const PolicyLifecycleSchema = Type.Object(
  {
    repository: Type.String({ pattern: NAME, maxLength: 255, errorMessage: '"{value}" is not a repository name' }),
    immutableTags: Type.Optional(Patterns),
    quotaBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    retention: Type.Optional(PolicyRetentionSchema),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export type PolicyLifecycle = Static<typeof PolicyLifecycleSchema>;
export type PolicyRetention = Static<typeof PolicyRetentionSchema>;
