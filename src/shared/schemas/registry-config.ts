/**
 * The `berth serve` configuration file (see `src/shared/registry-config.ts` for an example; durations in `config-durations.ts`): its one schema, with
 * the defaults and the sentence each field's problem is reported with. `parseConfig` validates with it; the operator
 * builds its rendered config as a {@link RegistryConfigFile}, so a field it gets wrong fails to compile.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { Duration } from './config-durations.js';
import { Default, StringEnum, type Defaulted } from './kit.js';
import { ScrubSchema } from './storage-scrub.js';
import { ReportConfigSchema } from './report.js';
import type { Wording } from './validate.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** The storage drivers `storage.driver` can name. */
export const STORAGE_DRIVERS = ['filesystem', 'memory', 's3'] as const;

/** S3's smallest part (every part of a multipart upload but the last must be at least this big). */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;
export type StorageDriverName = (typeof STORAGE_DRIVERS)[number];

const PositiveInt = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

/** A section of the file: optional, `{}` when absent (so its own defaults apply), no unknown fields. */
function Section<T extends TProperties>(properties: T, description: string) {
  const section = Type.Object(properties, { additionalProperties: false, description });
  return Default(section, {} as Static<typeof section>);
}

/** `storage.gc`: online garbage collection, run every `interval` by `berth serve` (absent: only `berth gc`). */
export const GcSchema = Type.Object(
  {
    interval: Default(Duration('How often `berth serve` collects garbage.'), '24h'),
    gracePeriod: Default(
      Duration('Unreferenced blobs younger than this stay (it must exceed the time a push takes from uploading a layer to pushing its manifest).'),
      '1h',
    ),
    untagged: Default(
      Type.Union([Type.Literal('keep'), Type.Object({ olderThan: Duration('Untagged manifests older than this go.') }, { additionalProperties: false })], {
        errorMessage: 'must be keep or { olderThan: DURATION }',
        description: 'Untagged manifests: keep (the default), or delete those older than a duration (never the child of a kept index or the subject of a kept referrer).',
      }),
      'keep',
    ),
    lease: Default(
      Duration('How long a collector holds its lease without renewing it (renewed every third of it); a killed one blocks others this long.'),
      '60s',
    ),
  },
  { additionalProperties: false, description: 'Online garbage collection (see the README, Storage lifecycle).' },
);

export const PolicySecretSchema = Type.Object(
  {
    namespace: Type.String({ maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', errorMessage: 'must be a namespace name' }),
    name: Type.String({
      maxLength: 253,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      errorMessage: 'must be a Secret name',
    }),
    key: Default(Type.String({ pattern: '^[-._a-zA-Z0-9]{1,253}$', errorMessage: 'must be a Secret key (letters, digits, - _ .)' }), 'policy.yaml'),
  },
  {
    additionalProperties: false,
    description:
      "In a cluster: read the policy from this key of a Secret through the Kubernetes API (watched, so a change applies at once) instead of policyFile. Credentials: $KUBECONFIG, else the pod's ServiceAccount.",
  },
);

/** Kubernetes identities at `/token`: a login whose password is a Kubernetes bearer token. */
export const KubernetesAuthSchema = Type.Object(
  {
    enabled: Default(Type.Boolean({ description: 'Accept Kubernetes bearer tokens as passwords at /token (TokenReview, then a SubjectAccessReview per action).' }), false),
    audiences: Default(
      Type.Array(Type.String({ minLength: 1, typeMessage: 'must be a list of audiences' }), {
        errorMessage: 'must be a list of audiences',
        description: "A token must be valid for one of these audiences (`kubectl create token SA --audience …`). Required unless acceptApiServerAudience.",
      }),
      [],
    ),
    acceptApiServerAudience: Default(
      Type.Boolean({
        description:
          "Explicit opt-in: with no audiences, accept tokens for the API server's own audience (general API tokens, which this registry could replay against the API server).",
      }),
      false,
    ),
    cacheTtl: Default(Duration('How long TokenReview and SubjectAccessReview answers are reused; a revoked RoleBinding stops working within this.'), '10s'),
    cacheSize: Default(PositiveInt('Cached review answers at most (least recently used go first).'), 10_000),
  },
  {
    additionalProperties: false,
    description: "API credentials: $KUBECONFIG, else the pod's ServiceAccount (needs create on tokenreviews and subjectaccessreviews).",
  },
);

export const AuthSchema = Type.Object(
  {
    issuer: Default(Type.String(), 'berth'),
    service: Default(Type.String({ description: 'The token audience (`service` in challenges).' }), 'berth-registry'),
    realm: Default(Type.String({ description: 'Absolute token URL; empty: `<externalUrl>/token`.' }), ''),
    tokenTtl: Default(Duration('Lifetime of issued tokens; at least 60s.'), '5m'),
    signingKeyFile: Default(Type.String({ description: 'PEM private key; generated on first start when absent.' }), 'signing-key.pem'),
    verificationKeyFiles: Default(
      Type.Array(Type.String({ typeMessage: 'must be a list of file paths' }), {
        errorMessage: 'must be a list of file paths',
        description: 'Extra PEM public keys (or JWKS files) still accepted for verification during a key rotation.',
      }),
      [],
    ),
    policyFile: Default(Type.String({ description: 'YAML access policy, reloaded when the file changes.' }), 'policy.yaml'),
    policySecret: Type.Optional(PolicySecretSchema),
    kubernetes: Type.Optional(KubernetesAuthSchema),
    failedLoginsPerMinute: Default(
      PositiveInt(
        'Failed logins allowed a minute per client address, per account from addresses it never logged in from, and (without a success in between) per account and address, before 429.',
      ),
      10,
    ),
    maxConcurrentLoginsPerAddress: Default(
      PositiveInt('Password checks running at once for one client address; more get 429 at once.'),
      4,
    ),
    maxConcurrentLoginsPerAccount: Default(
      PositiveInt('Password checks running at once for one account from addresses it never logged in from; more get 429.'),
      2,
    ),
    loginLockoutMax: Default(Duration('Lockouts of one account from one address grow 1, 2, 4… minutes up to this.'), '15m'),
  },
  { additionalProperties: false, description: "The embedded token service. Absent: every request is allowed (no auth, like Distribution's default)." },
);

export const S3Schema = Type.Object(
  {
    bucket: Type.String({
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      errorMessage: 'must be a bucket name',
      description: 'The bucket (it must exist).',
    }),
    region: Default(Type.String({ minLength: 1, description: 'The signing region; most S3-compatible servers accept any.' }), 'us-east-1'),
    endpoint: Default(Type.String({ description: "The server's URL (http://127.0.0.1:7070); empty: AWS S3 itself." }), ''),
    forcePathStyle: Default(
      Type.Boolean({ description: 'The bucket in the path (http://host/bucket/key) instead of the host name; most self-hosted servers need it.' }),
      false,
    ),
    prefix: Default(Type.String({ description: 'A key prefix every object is stored under, so one bucket can hold several registries.' }), ''),
    accessKeyIdFile: Default(
      Type.String({
        description:
          "A file holding the access key id (e.g. a mounted Secret), with secretAccessKeyFile. Neither: the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a web-identity token file, a profile, the instance role).",
      }),
      '',
    ),
    secretAccessKeyFile: Default(Type.String({ description: 'A file holding the secret access key, with accessKeyIdFile.' }), ''),
    redirect: Default(
      Type.Boolean({
        description:
          'Answer blob GETs with a 307 to a presigned URL of the object, so the bytes go from the bucket to the client directly (clients must reach the endpoint, or publicEndpoint).',
      }),
      false,
    ),
    publicEndpoint: Default(
      Type.String({ description: 'The endpoint URL clients reach the bucket at, for presigned URLs; empty: endpoint.' }),
      '',
    ),
    redirectExpiry: Default(Duration('How long a presigned URL stays valid.'), '20m'),
    partSize: Default(
      Type.Integer({
        minimum: S3_MIN_PART_SIZE,
        maximum: 5 * 1024 ** 3,
        errorMessage: `must be a whole number of bytes from ${S3_MIN_PART_SIZE} (5 MiB) to 5 GiB`,
        description: 'Bytes of each part an upload is cut into (at most two parts per upload are held in memory: one filling, one uploading).',
      }),
      2 * S3_MIN_PART_SIZE,
    ),
  },
  {
    additionalProperties: false,
    description: 'The bucket of the s3 driver (required with it). Keys are never logged.',
  },
);

/** `http.tls`: serve HTTPS with this certificate and key (PEM files, reloaded when they change). */
export const TlsSchema = Type.Object(
  {
    certFile: Type.String({
      minLength: 1,
      description: 'PEM certificate chain: the server certificate first, then any intermediates (tls.crt of a kubernetes.io/tls Secret).',
    }),
    keyFile: Type.String({ minLength: 1, description: 'PEM private key of the certificate (tls.key).' }),
  },
  {
    additionalProperties: false,
    description:
      'Serve HTTPS. Both files are read again when they change (their folder is watched and their times polled, so a Kubernetes Secret volume update applies): new connections get the new pair, open ones keep theirs; a pair that does not load is logged and the old one kept.',
  },
);

export const RegistryConfigSchema = Type.Object(
  {
    http: Section(
      {
        addr: Default(Type.String({ description: 'host:port to listen on; port 0 picks a free port.' }), '127.0.0.1:5000'),
        externalUrl: Default(
          Type.String({ description: 'The URL clients use to reach this registry (token realm, pull Secrets). Empty: derived from requests.' }),
          '',
        ),
        trustProxy: Default(
          Type.Boolean({
            description:
              'Behind one trusted proxy: honour X-Forwarded-Proto/Host for the external URL and X-Forwarded-For for the client address (login limits). The per-address connection cap then does not apply (every peer is the proxy).',
          }),
          false,
        ),
        headersTimeout: Default(Duration("How long a client may take to send a request's headers (also: a new connection that sends nothing)."), '60s'),
        bodyIdleTimeout: Default(
          Duration('How long a request body may go without a byte arriving; an upload that keeps sending is never cut.'),
          '60s',
        ),
        keepAliveTimeout: Default(Duration('How long an idle keep-alive connection stays open after a response.'), '75s'),
        maxConnections: Default(PositiveInt('Open client connections at most, in total.'), 2000),
        maxConnectionsPerAddress: Default(PositiveInt('Open client connections at most from one address (not applied with trustProxy).'), 200),
        tls: Type.Optional(TlsSchema),
      },
      'Where the registry listens and how clients reach it.',
    ),
    storage: Section(
      {
        driver: Default(
          StringEnum(STORAGE_DRIVERS, {
            description:
              "Where the bytes live: a folder (filesystem, the default), this process's memory (memory, for tests), or an S3-compatible bucket (s3, with storage.s3).",
          }),
          'filesystem',
        ),
        root: Default(
          Type.String({ minLength: 1, description: 'Directory that holds blobs, repositories and upload sessions (filesystem driver).' }),
          './data',
        ),
        uploadPurge: Section(
          {
            maxAge: Default(Duration('Upload sessions untouched for longer than this are purged.'), '24h'),
            interval: Default(Duration('How often upload sessions are purged.'), '1h'),
          },
          'Purging of abandoned upload sessions.',
        ),
        s3: Type.Optional(S3Schema),
        gc: Type.Optional(GcSchema),
        scrub: Type.Optional(ScrubSchema),
        lifecycle: Section(
          {
            retentionInterval: Default(
              Duration("How often `berth serve` applies the repositories' retention rules (from the access policy's lifecycle section)."),
              '1h',
            ),
            usageRescanInterval: Default(
              Duration('How often per-repository usage (quotas) is recounted from storage, catching writes of other replicas.'),
              '10m',
            ),
          },
          'Retention and quota bookkeeping (see the README, Storage lifecycle).',
        ),
      },
      'Where the bytes live.',
    ),
    limits: Section(
      {
        manifestMaxBytes: Default(PositiveInt('Largest manifest accepted, in bytes.'), 4 * 1024 * 1024),
        referrersPageMaxBytes: Default(
          PositiveInt('A referrers page holds at most this many bytes of descriptors (at least one); the rest is on the next page.'),
          1024 * 1024,
        ),
        uploadSessionsPerRepository: Default(
          PositiveInt('Open upload sessions at most in one repository (counted in storage, so across every process sharing it).'),
          1000,
        ),
        uploadSessionsPerPrincipal: Default(
          PositiveInt('Open upload sessions at most for one principal: the authenticated subject, else the client address.'),
          200,
        ),
        uploadMaxBytes: Type.Optional(PositiveInt('Bytes one blob upload may hold at most; absent: unlimited.')),
      },
      'Request limits.',
    ),
    log: Section({ level: Default(StringEnum(LOG_LEVELS), 'info') }, 'Logging.'),
    auth: Type.Optional(AuthSchema),
    report: Type.Optional(ReportConfigSchema),
  },
  { additionalProperties: false },
);

/** A configuration file as written (what the operator renders). */
export type RegistryConfigFile = Static<typeof RegistryConfigSchema>;
/** A configuration file with every default filled in. */
export type RegistryConfigDefaulted = Defaulted<typeof RegistryConfigSchema>;

/** How config problems are worded (`config: storage.uploadPurge.maxAge: must be a duration such as 90s, 5m or 24h`). */
export const CONFIG_WORDING: Wording = {
  root: '(root)',
  qualifyUnknownRootFields: false,
  typeMessages: {
    string: 'must be a string',
    boolean: 'must be true or false',
    integer: 'must be a positive whole number',
    number: 'must be a number',
    object: 'must be a mapping',
    array: 'must be a list',
  },
  emptyMessage: 'must not be empty',
};
