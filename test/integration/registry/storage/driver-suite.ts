/**
 * The one storage driver suite: every driver runs it (see drivers.test.ts), the way Distribution runs its
 * `testsuites` against each driver. A driver states how to open it, how to open a second driver over the same
 * bytes (a restart, or another process), and one way to make a commit fail.
 */
import type { DriverFactory } from './driver-suite-kit.js';
import { fileTests } from './driver-suite-files.js';
import { timeTests } from './driver-suite-times.js';
import { writerTests } from './driver-suite-writers.js';

export type { DriverFactory } from './driver-suite-kit.js';

/** Defines the suite for one driver. */
export function describeDriver(name: string, factory: DriverFactory): void {
  describe(`storage driver suite: ${name}`, () => {
    afterAll(async () => factory.cleanUp?.());

    test('states its name and whether it is durable', async () => {
      const d = await factory.open();
      expect(d.name).toBe(name);
      expect(d.durable).toBe(factory.durable);
    });

    fileTests(factory);
    writerTests(factory);
    timeTests(factory);
  });
}
