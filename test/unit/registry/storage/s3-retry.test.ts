/**
 * retryVanishedFolder: a small write that versitygw's posix backend refused with ExistingObjectIsDirectory (its
 * parent folder was removed under it by a concurrent delete) is sent again; other errors, and a key that stays a
 * folder, are thrown.
 */
import { retryVanishedFolder, writeOnce } from '../../../../src/registry/storage/drivers/s3-client.js';

const s3Error = (name: string, status: number): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

/** A write failing with `errors` in turn, then succeeding; counts its calls. */
function flaky(errors: Error[]): { write: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    write: async () => {
      const err = errors[calls++];
      if (err) throw err;
      return 'written';
    },
    calls: () => calls,
  };
}

const VANISHED = s3Error('ExistingObjectIsDirectory', 409);

test.each([
  { case: 'succeeds at once', errors: [], result: 'written', calls: 1 },
  { case: 'the folder vanished twice, then the write lands', errors: [VANISHED, VANISHED], result: 'written', calls: 3 },
  { case: 'a key that stays a folder fails after 5 attempts', errors: Array(9).fill(VANISHED), result: 'ExistingObjectIsDirectory', calls: 5 },
  { case: 'access denied is not retried', errors: [s3Error('AccessDenied', 403)], result: 'AccessDenied', calls: 1 },
  { case: 'a failed precondition is not retried', errors: [s3Error('PreconditionFailed', 412)], result: 'PreconditionFailed', calls: 1 },
])('$case', async ({ errors, result, calls }) => {
  const w = flaky(errors);
  await expect(retryVanishedFolder(w.write).catch((e: Error) => e.name)).resolves.toBe(result);
  expect(w.calls()).toBe(calls);
});

test('writeOnce sends a create again after a vanished folder, and still reports an existing key as false', async () => {
  const vanished = flaky([VANISHED]);
  await expect(writeOnce(vanished.write)).resolves.toBe(true);
  expect(vanished.calls()).toBe(2);
  const exists = flaky([VANISHED, s3Error('PreconditionFailed', 412)]);
  await expect(writeOnce(exists.write)).resolves.toBe(false);
  expect(exists.calls()).toBe(2);
});
