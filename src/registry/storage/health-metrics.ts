/** The storage state as a metric: `berth_storage_status{status}` is 1 for the current state, read at each scrape. */
import { Gauge, type Registry } from 'prom-client';
import { STORAGE_STATUSES, type StorageHealth } from './health.js';

export function registerHealthMetric(registry: Registry, health: StorageHealth): void {
  new Gauge({
    name: 'berth_storage_status',
    help: 'The storage state (ok, full, unavailable): 1 for the current one; checked at most every 5 s.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const { status } = await health.state();
      for (const s of STORAGE_STATUSES) this.set({ status: s }, s === status ? 1 : 0);
    },
  });
}
