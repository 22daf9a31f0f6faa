/**
 * `Registry.spec.storage.s3`: the layers in an S3-compatible bucket instead of a volume. No claim is made, the pods
 * can run on any node, and more than one replica needs nothing else (every pod continues any upload from the bucket).
 */
import { Type } from '@sinclair/typebox';
import { Default } from './kit.js';
import { DNS_SUBDOMAIN } from './k8s.js';

const SECRET_KEY = '^[-._a-zA-Z0-9]{1,253}$';

const CredentialsSecretSchema = Type.Object(
  {
    name: Type.String({ maxLength: 253, pattern: DNS_SUBDOMAIN, description: "A Secret in the Registry's namespace." }),
    accessKeyIdKey: Default(Type.String({ pattern: SECRET_KEY, description: 'The key holding the access key id.' }), 'accessKeyId'),
    secretAccessKeyKey: Default(Type.String({ pattern: SECRET_KEY, description: 'The key holding the secret access key.' }), 'secretAccessKey'),
  },
  {
    description:
      'Static keys: the pods get them as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from this Secret (secretKeyRef; never copied into the rendered configuration).',
  },
);

const WebIdentitySchema = Type.Object(
  {
    roleArn: Type.String({ minLength: 1, maxLength: 2048, description: 'The role the pods assume (AWS_ROLE_ARN).' }),
    audience: Default(
      Type.String({ minLength: 1, maxLength: 253, description: "The audience of the projected ServiceAccount token (the identity provider's)." }),
      'sts.amazonaws.com',
    ),
  },
  {
    description:
      "Workload identity without keys: a projected token of the registry pods' ServiceAccount, exchanged for the role by the SDK (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE), as IRSA does.",
  },
);

export const RegistryS3Schema = Type.Object(
  {
    bucket: Type.String({ minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', description: 'The bucket (it must exist).' }),
    region: Default(Type.String({ minLength: 1, maxLength: 64, description: 'The signing region; most S3-compatible servers accept any.' }), 'us-east-1'),
    endpoint: Type.Optional(
      Type.String({
        maxLength: 2048,
        pattern: '^https?://',
        description: "The server's URL (https://minio.storage.svc:9000). Empty: AWS S3 itself.",
      }),
    ),
    forcePathStyle: Default(
      Type.Boolean({ description: 'The bucket in the path (http://host/bucket/key) instead of the host name; most self-hosted servers need it.' }),
      false,
    ),
    prefix: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: '^[A-Za-z0-9!_.*()-]+(/[A-Za-z0-9!_.*()-]+)*$',
        description: 'A key prefix (no leading or trailing /) every object goes under, so one bucket can hold several registries.',
      }),
    ),
    credentialsSecret: Type.Optional(CredentialsSecretSchema),
    webIdentity: Type.Optional(WebIdentitySchema),
    redirect: Default(
      Type.Boolean({
        description:
          'Answer blob GETs with a 307 to a presigned URL, so layers go from the bucket to the client directly (clients must reach endpoint, or publicEndpoint).',
      }),
      false,
    ),
    publicEndpoint: Type.Optional(
      Type.String({ maxLength: 2048, pattern: '^https?://', description: 'The URL clients reach the bucket at, for presigned URLs. Empty: endpoint.' }),
    ),
  },
  {
    description:
      "The layers in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW...) instead of a volume: no claim is made, and any number of replicas run on any node. Credentials: credentialsSecret, webIdentity, or neither (the AWS SDK's default chain: the pods' environment, a web-identity token injected by the cluster, the node's role).",
    'x-kubernetes-validations': [
      {
        rule: '!has(self.credentialsSecret) || !has(self.webIdentity)',
        message: 'storage.s3: set credentialsSecret or webIdentity, not both',
      },
      {
        rule: '!has(self.publicEndpoint) || self.redirect',
        message: 'storage.s3.publicEndpoint is the host of redirects: it needs redirect: true',
        fieldPath: '.publicEndpoint',
      },
    ],
  },
);
