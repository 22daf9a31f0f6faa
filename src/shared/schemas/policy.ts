/**
 * The access policy document (see `src/shared/policy.ts` for an example): its one schema, used to validate policy
 * files and Secrets (`parsePolicy`), with the sentences each field's problems are reported with.
 */
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';
import { ACCOUNT_NAME, PASSWORD_HASH, POLICY_ACTIONS, POLICY_VERSION, ROBOT_SECRET_HASH, isPrincipal, isRepositoryPattern, parseTime } from '../policy.js';
import { StringEnum } from './kit.js';
import type { Wording } from './validate.js';
import { PolicyLifecycleSchema } from './policy-lifecycle.js';

FormatRegistry.Set('date-time', (s) => parseTime(s) !== undefined);
FormatRegistry.Set('repository-pattern', isRepositoryPattern);
FormatRegistry.Set('principal', isPrincipal);

const PRINCIPALS = 'everyone, authenticated, user:NAME or robot:NAME';

/** A non-empty string. */
const Text = (options: Record<string, unknown> = {}) => Type.String({ minLength: 1, ...options });

const AccountName = Text({
  pattern: ACCOUNT_NAME.source,
  errorMessage: '"{value}" is not a valid account name (letters, digits, . _ @ + -; at most 255)',
  description: 'Users and robots share one namespace of names.',
});

const TIME_MESSAGE = 'must be an RFC 3339 time such as 2030-01-01T00:00:00Z';
const Time = (description: string) => Type.String({ format: 'date-time', errorMessage: TIME_MESSAGE, typeMessage: TIME_MESSAGE, description });

const Principal = Text({ format: 'principal', errorMessage: `"{value}" is not ${PRINCIPALS}` });

export const PolicyUserSchema = Type.Object(
  {
    name: AccountName,
    passwordHash: Text({
      pattern: `(?:${PASSWORD_HASH.scrypt.source})|(?:${PASSWORD_HASH.bcrypt.source})`,
      errorMessage: 'must be a scrypt hash from `berth passwd` or a bcrypt hash ($2a$, $2b$, $2y$)',
      description: '`$scrypt$ln=…,r=…,p=…$salt$hash` (from `berth passwd`) or bcrypt `$2a$`/`$2b$`/`$2y$` (from htpasswd).',
    }),
    description: Type.Optional(Text()),
  },
  { additionalProperties: false },
);

export const PolicyRobotSecretSchema = Type.Object(
  {
    hash: Text({
      pattern: ROBOT_SECRET_HASH.source,
      errorMessage: 'must be sha256:<64 hex digits>',
      description: '`sha256:<hex>` of the secret: robot secrets are random and long, so a fast hash is enough.',
    }),
    expires: Type.Optional(Time('RFC 3339 time after which this secret no longer logs in (rotation overlap).')),
  },
  { additionalProperties: false },
);

export const PolicyRobotSchema = Type.Object(
  {
    name: AccountName,
    secrets: Type.Array(PolicyRobotSecretSchema, { minItems: 1, minItemsMessage: 'must hold at least one secret' }),
    expires: Type.Optional(Time('RFC 3339 time after which the robot can neither log in nor use tokens it holds.')),
    description: Type.Optional(Text()),
  },
  { additionalProperties: false },
);

export const PolicyRuleSchema = Type.Object(
  {
    repositories: Type.Array(Text({ format: 'repository-pattern', errorMessage: '"{value}" is not a repository pattern' }), {
      minItems: 1,
      description: 'Repository name patterns: `*` matches within one path component, a `**` component any number of them.',
    }),
    principals: Type.Array(Principal, { minItems: 1, description: '`everyone`, `authenticated`, `user:NAME`, `robot:NAME`.' }),
    actions: Type.Array(StringEnum([...POLICY_ACTIONS, '*'], { errorMessage: '"{value}" is not pull, push, delete or *' }), {
      minItems: 1,
      description: '`*` is shorthand for all three.',
    }),
    description: Type.Optional(Text()),
  },
  { additionalProperties: false },
);

const NamespaceName = Text({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, errorMessage: '"{value}" is not a namespace name' });
const RepositoryPattern = Text({ format: 'repository-pattern', errorMessage: '"{value}" is not a repository pattern' });

/**
 * Which namespace governs a repository path, for Kubernetes identities (a SubjectAccessReview on `repositories` in
 * that namespace). The operator renders it from the Registry's `spec.tenancy` and its accepted Repositories.
 */
export const PolicyTenancySchema = Type.Object(
  {
    namespacePaths: Type.Optional(Type.Boolean({ description: 'A namespace owns the paths under its own name (default true).' })),
    grants: Type.Optional(
      Type.Array(
        Type.Object(
          { namespaces: Type.Array(Text(), { minItems: 1 }), paths: Type.Array(RepositoryPattern, { minItems: 1 }) },
          { additionalProperties: false },
        ),
        { description: 'Further path patterns owned by named namespaces.' },
      ),
    ),
    repositories: Type.Optional(
      Type.Array(
        Type.Object({ path: Text({ format: 'repository-pattern' }), namespace: NamespaceName, name: Text() }, { additionalProperties: false }),
        { description: 'The Repository resource that declares each path.' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PolicyDocumentSchema = Type.Object(
  {
    version: Type.Optional(Type.Literal(POLICY_VERSION, { errorMessage: `must be ${POLICY_VERSION}` })),
    users: Type.Optional(Type.Array(PolicyUserSchema)),
    htpasswd: Type.Optional(
      Type.String({ typeMessage: 'must be the text of an htpasswd file', description: 'bcrypt lines (`htpasswd -B`) of a Distribution htpasswd file.' }),
    ),
    robots: Type.Optional(Type.Array(PolicyRobotSchema)),
    rules: Type.Optional(Type.Array(PolicyRuleSchema)),
    catalog: Type.Optional(Type.Array(Principal, { description: 'Principals allowed `registry:catalog:*`.' })),
    tenancy: Type.Optional(PolicyTenancySchema),
    lifecycle: Type.Optional(
      Type.Array(PolicyLifecycleSchema, { description: 'Per repository: immutable tags, quota and retention (one entry per repository).' }),
    ),
  },
  { additionalProperties: false },
);

/** A policy document as written. */
export type PolicyDocument = Static<typeof PolicyDocumentSchema>;
export type PolicyUser = Static<typeof PolicyUserSchema>;
export type PolicyTenancy = Static<typeof PolicyTenancySchema>;
export type PolicyRobotSecret = Static<typeof PolicyRobotSecretSchema>;
export type PolicyRobot = Static<typeof PolicyRobotSchema>;

/** How policy problems are worded (`policy: rules[0].actions[0]: "read" is not pull, push, delete or *`). */
export const POLICY_WORDING: Wording = {
  root: '(root)',
  qualifyUnknownRootFields: true,
  typeMessages: { string: 'must be a non-empty string', array: 'must be a list', object: 'must be a mapping' },
  emptyMessage: 'must be a non-empty string',
};
