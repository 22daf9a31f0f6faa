import { Controller, TerminalError, type ReconcileResult } from '../../../src/operator/runtime/controller.js';
import { createOperatorMetrics } from '../../../src/operator/runtime/metrics.js';
import { WorkQueue } from '../../../src/operator/runtime/work-queue.js';
import { silentLogger } from '../../../src/shared/logger.js';

/** Runs a controller whose reconcile answers from `script` (one entry per call, the last one repeats). */
function harness(script: Array<() => ReconcileResult | void>) {
  const calls: number[] = [];
  const metrics = createOperatorMetrics(false);
  const controller = new Controller({
    name: 'test',
    reconciler: {
      async reconcile() {
        calls.push(Date.now());
        return script[Math.min(calls.length - 1, script.length - 1)]!();
      },
    },
    primary: { list: () => [{ apiVersion: 'v1', kind: 'X', metadata: { name: 'a', namespace: 'ns' } }] },
    workers: 2,
    resyncPeriodMs: 60_000,
    logger: silentLogger(),
    metrics,
    queue: new WorkQueue({ baseMs: 40, maxMs: 1000, jitter: 0 }),
  });
  const stop = new AbortController();
  const running = controller.run(stop.signal);
  return { controller, calls, metrics, stop: () => (stop.abort(), running) };
}

const fail = () => {
  throw new Error('API server unavailable');
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Controller', () => {
  test('errors are retried with growing delays until success', async () => {
    const h = harness([fail, fail, fail, () => undefined]);
    h.controller.enqueue('ns/a');
    await sleep(600);
    await h.stop();
    expect(h.calls).toHaveLength(4);
    const gaps = h.calls.slice(1).map((t, i) => t - h.calls[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    expect((await h.metrics.reconcileErrors.get()).values[0]!.value).toBe(3);
  });

  test('a terminal error is not retried', async () => {
    const h = harness([
      () => {
        throw new TerminalError('spec.image is empty');
      },
    ]);
    h.controller.enqueue('ns/a');
    await sleep(300);
    await h.stop();
    expect(h.calls).toHaveLength(1);
  });

  test('requeue-after runs the key again after the delay', async () => {
    const h = harness([() => ({ requeueAfterMs: 100 }), () => undefined]);
    h.controller.enqueue('ns/a');
    await sleep(400);
    await h.stop();
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1]! - h.calls[0]!).toBeGreaterThanOrEqual(95);
  });

  test('resync queues every object of the primary informer', async () => {
    const h = harness([() => undefined]);
    h.controller.resync();
    await sleep(50);
    await h.stop();
    expect(h.calls).toHaveLength(1);
  });
});
