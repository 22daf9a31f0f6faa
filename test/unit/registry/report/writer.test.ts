import { jest } from '@jest/globals';
import { createReportWriter, retryDelay, type ReportSink } from '../../../../src/registry/report/writer.js';
import { silentLogger } from '../../../../src/shared/logger.js';
import { MAX_REPORT_BYTES } from '../../../../src/shared/schemas/report.js';

/** A sink that records writes and fails while `failing` is set. */
function recordingSink() {
  const writes: Array<Record<string, string>> = [];
  const state = { failing: false };
  const sink: ReportSink = async (entries) => {
    if (state.failing) throw new Error('ConfigMap not found');
    writes.push(entries);
  };
  return { writes, state, sink };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

const opts = { minIntervalMs: 10_000, logger: silentLogger(), now: () => Date.now() };

test('publish returns at once; the first document is written on the next tick', async () => {
  const { writes, sink } = recordingSink();
  const w = createReportWriter(sink, opts);
  w.publish('gc.json', { n: 1 });
  expect(writes).toEqual([]);
  await jest.advanceTimersByTimeAsync(0);
  expect(writes).toEqual([{ 'gc.json': '{"n":1}' }]);
});

test('documents published within minInterval are coalesced: the newest of each key, all keys in one write', async () => {
  const { writes, sink } = recordingSink();
  const w = createReportWriter(sink, opts);
  w.publish('gc.json', { n: 1 });
  await jest.advanceTimersByTimeAsync(0);
  for (let n = 2; n <= 50; n++) w.publish('gc.json', { n });
  w.publish('usage.json', { bytes: 7 });
  await jest.advanceTimersByTimeAsync(9_999);
  expect(writes).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(writes).toEqual([{ 'gc.json': '{"n":1}' }, { 'gc.json': '{"n":50}', 'usage.json': '{"bytes":7}' }]);
});

test('a document equal to the one last written is not written again', async () => {
  const { writes, sink } = recordingSink();
  const w = createReportWriter(sink, opts);
  w.publish('gc.json', { n: 1 });
  await jest.advanceTimersByTimeAsync(0);
  w.publish('gc.json', { n: 1 });
  await jest.advanceTimersByTimeAsync(60_000);
  expect(writes).toHaveLength(1);
});

test('a failed write is retried with backoff, keeping the newest document', async () => {
  const { writes, state, sink } = recordingSink();
  const w = createReportWriter(sink, opts);
  state.failing = true;
  w.publish('gc.json', { n: 1 });
  await jest.advanceTimersByTimeAsync(0);
  w.publish('gc.json', { n: 2 });
  await jest.advanceTimersByTimeAsync(retryDelay(10_000, 1, 300_000)); // second attempt, fails too
  state.failing = false;
  await jest.advanceTimersByTimeAsync(retryDelay(10_000, 2, 300_000) - 1);
  expect(writes).toEqual([]);
  await jest.advanceTimersByTimeAsync(1);
  expect(writes).toEqual([{ 'gc.json': '{"n":2}' }]);
});

test('while a write hangs, publish still returns at once and only the newest document waits', async () => {
  const writes: Array<Record<string, string>> = [];
  let release = (): void => {};
  const sink: ReportSink = (entries) => {
    writes.push(entries);
    return writes.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
  };
  const w = createReportWriter(sink, opts);
  w.publish('gc.json', { n: 0 });
  await jest.advanceTimersByTimeAsync(0);
  for (let n = 1; n <= 1000; n++) w.publish('gc.json', { n });
  await jest.advanceTimersByTimeAsync(60_000);
  expect(writes).toHaveLength(1);
  release();
  await jest.advanceTimersByTimeAsync(10_000);
  expect(writes).toEqual([{ 'gc.json': '{"n":0}' }, { 'gc.json': '{"n":1000}' }]);
});

test('a document larger than the limit is dropped, not written', async () => {
  const { writes, sink } = recordingSink();
  const w = createReportWriter(sink, opts);
  w.publish('usage.json', { big: 'x'.repeat(MAX_REPORT_BYTES) });
  await jest.advanceTimersByTimeAsync(60_000);
  expect(writes).toEqual([]);
});

test('close writes what is pending, and nothing is written after it', async () => {
  const { writes, sink } = recordingSink();
  const w = createReportWriter(sink, opts);
  w.publish('gc.json', { n: 1 });
  await jest.advanceTimersByTimeAsync(0);
  w.publish('gc.json', { n: 2 });
  await w.close();
  w.publish('gc.json', { n: 3 });
  await jest.advanceTimersByTimeAsync(60_000);
  expect(writes).toEqual([{ 'gc.json': '{"n":1}' }, { 'gc.json': '{"n":2}' }]);
});

test('close waits for a hanging write at most closeTimeoutMs', async () => {
  const w = createReportWriter(() => new Promise<void>(() => {}), { ...opts, closeTimeoutMs: 5_000 });
  w.publish('gc.json', { n: 1 });
  await jest.advanceTimersByTimeAsync(0);
  let closed = false;
  void w.close().then(() => (closed = true));
  await jest.advanceTimersByTimeAsync(4_999);
  expect(closed).toBe(false);
  await jest.advanceTimersByTimeAsync(1);
  expect(closed).toBe(true);
});

test('flush writes what is pending now', async () => {
  const { writes, sink } = recordingSink();
  const w = createReportWriter(sink, opts);
  w.publish('gc.json', { n: 1 });
  await jest.advanceTimersByTimeAsync(0);
  w.publish('gc.json', { n: 2 });
  await w.flush();
  expect(writes).toEqual([{ 'gc.json': '{"n":1}' }, { 'gc.json': '{"n":2}' }]);
});

test.each([
  [10_000, 0, 10_000],
  [10_000, 1, 10_000],
  [10_000, 2, 20_000],
  [10_000, 6, 300_000],
  [100, 1, 1_000],
  [100, 40, 300_000],
])('retryDelay(%d ms, %d failures) = %d ms', (min, failures, delay) => {
  expect(retryDelay(min, failures, 300_000)).toBe(delay);
});
