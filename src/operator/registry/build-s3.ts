/**
 * What `spec.storage.s3` adds to a Registry's pods (pure): the `storage` section of the rendered configuration (no
 * credentials in it), the credentials as environment variables read by the AWS SDK's default chain (static keys by
 * secretKeyRef from the user's Secret, or a projected ServiceAccount token for web identity), and the scheduling
 * that spreads replicas across nodes, which a shared bucket allows.
 */
import type { RegistryConfigFile } from '../../shared/schemas/registry-config.js';
import { selectorLabels } from './naming.js';
import type { RegistrySpec } from './types.js';

type S3Spec = NonNullable<RegistrySpec['storage']['s3']>;

/** Where the web-identity token is projected. */
export const WEB_IDENTITY_DIR = '/var/run/secrets/berth/s3';
export const WEB_IDENTITY_TOKEN = `${WEB_IDENTITY_DIR}/token`;

/** The `storage` section of the registry configuration for a bucket (keys stay empty: the SDK's chain reads the env). */
export function s3StorageConfig(s3: S3Spec): NonNullable<RegistryConfigFile['storage']> {
  return {
    driver: 's3',
    s3: {
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint ?? '',
      forcePathStyle: s3.forcePathStyle,
      prefix: s3.prefix ?? '',
      redirect: s3.redirect,
      publicEndpoint: s3.publicEndpoint ?? '',
    },
  };
}

/** The environment of the registry container: the credentials, by reference only. */
export function s3Env(s3: S3Spec): Array<Record<string, unknown>> {
  if (s3.credentialsSecret) {
    const { name, accessKeyIdKey, secretAccessKeyKey } = s3.credentialsSecret;
    const fromSecret = (env: string, key: string) => ({ name: env, valueFrom: { secretKeyRef: { name, key } } });
    return [fromSecret('AWS_ACCESS_KEY_ID', accessKeyIdKey), fromSecret('AWS_SECRET_ACCESS_KEY', secretAccessKeyKey)];
  }
  if (s3.webIdentity) {
    return [
      { name: 'AWS_ROLE_ARN', value: s3.webIdentity.roleArn },
      { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: WEB_IDENTITY_TOKEN },
      { name: 'AWS_ROLE_SESSION_NAME', value: 'berth-registry' },
    ];
  }
  return [];
}

/** The projected token volume and its mount, for web identity only. */
export function s3Volumes(s3: S3Spec): { volumes: Array<Record<string, unknown>>; mounts: Array<Record<string, unknown>> } {
  if (!s3.webIdentity) return { volumes: [], mounts: [] };
  const volume = {
    name: 's3-identity',
    projected: {
      defaultMode: 0o440,
      sources: [{ serviceAccountToken: { audience: s3.webIdentity.audience, expirationSeconds: 3600, path: 'token' } }],
    },
  };
  return { volumes: [volume], mounts: [{ name: 's3-identity', mountPath: WEB_IDENTITY_DIR, readOnly: true }] };
}

/**
 * Scheduling for pods that share nothing but the bucket: prefer different nodes (and zones), never require it, so
 * a small cluster still runs every replica.
 */
export function spreadAcrossNodes(name: string): Record<string, unknown> {
  const labelSelector = { matchLabels: selectorLabels(name) };
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector, topologyKey: 'kubernetes.io/hostname' } },
        ],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
    ],
  };
}
