/**
 * The S3 server the registry tests use on the `s3` driver: its address and keys travel in `BERTH_TEST_S3` (JSON,
 * set by the "s3 storage" jest project's setup, test/helpers/s3-storage.setup.ts), and each registry gets a
 * prefix of its own in the one bucket.
 */
import { randomUUID } from 'node:crypto';
import type { S3Config } from '../../src/shared/registry-config.js';

export const DEFAULT_S3_TEST_REGION = 'us-east-1';

/** A running S3 server with one bucket. */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The folder the server keeps its objects in. */
  dir: string;
  stop(): Promise<void>;
}

/** The server named by `BERTH_TEST_S3`; throws when it is not set. */
export function s3ServerFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<S3TestServer, 'stop'> {
  if (!env.BERTH_TEST_S3) throw new Error('BERTH_TEST_STORAGE=s3 needs BERTH_TEST_S3 (see test/helpers/s3-storage.setup.ts)');
  return JSON.parse(env.BERTH_TEST_S3) as Omit<S3TestServer, 'stop'>;
}

/** An `s3` config for `server`, under a new prefix; keys come from the environment (the SDK's default chain). */
export function s3TestConfig(server: Omit<S3TestServer, 'stop'>, prefix = `t-${randomUUID()}`): S3Config {
  return {
    bucket: server.bucket,
    region: DEFAULT_S3_TEST_REGION,
    endpoint: server.endpoint,
    forcePathStyle: true,
    prefix,
    accessKeyIdFile: '',
    secretAccessKeyFile: '',
    partSize: 5 * 1024 * 1024,
    redirect: false,
    publicEndpoint: '',
    redirectExpiryMs: 20 * 60_000,
  };
}

/** The environment that hands `server`'s keys to the SDK's default provider chain. */
export function s3KeysEnv(server: Omit<S3TestServer, 'stop'>): NodeJS.ProcessEnv {
  return { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey };
}
