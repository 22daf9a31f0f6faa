/**
 * Jest setup of the "s3 storage" project (jest.config.js): a versitygw server for the test file, whose address
 * travels in BERTH_TEST_S3 and whose keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the SDK's default chain, in
 * this process and in the `berth serve` processes it starts); the registry helpers then run on the S3 driver.
 */
import type { S3TestServer } from './s3-env.js';
import { s3KeysEnv } from './s3-env.js';
import { startVersitygw } from './versitygw.js';

process.env.BERTH_TEST_STORAGE = 's3';
let server: S3TestServer | undefined;

beforeAll(async () => {
  server = await startVersitygw();
  const { stop: _stop, ...address } = server;
  process.env.BERTH_TEST_S3 = JSON.stringify(address);
  Object.assign(process.env, s3KeysEnv(server));
}, 60_000);

afterAll(async () => {
  await server?.stop();
});
