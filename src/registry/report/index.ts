/**
 * The registry's reports to the operator (see src/shared/schemas/report.ts): with a `report` section in the config,
 * a {@link ReportPublisher} writing to the report ConfigMap through the Kubernetes API; without one (a standalone
 * registry) a publisher that drops everything, and the Kubernetes client is never loaded.
 *
 * @example
 * ```ts
 * const reports = await openReports(config.report, logger);
 * reports.publish(REPORT_KEYS.gc, gcReportDocument(outcome)); // returns at once; written within minInterval
 * await reports.close();
 * ```
 */
import type { Logger } from '../../shared/logger.js';
import type { ReportConfig } from '../../shared/registry-config.js';
import { createReportWriter, NO_REPORTS, type ReportPublisher } from './writer.js';

export { NO_REPORTS, type ReportPublisher } from './writer.js';

export async function openReports(config: ReportConfig | undefined, logger: Logger): Promise<ReportPublisher> {
  if (!config) return NO_REPORTS;
  const log = logger.child({ subsystem: 'report' });
  let edge: Awaited<ReturnType<typeof import('./kube-sink.js').kubeReportSink>>;
  try {
    const { kubeReportSink } = await import('./kube-sink.js');
    edge = await kubeReportSink(config);
  } catch (err) {
    // reports are for the operator's status; a registry that cannot send them still serves
    log.error('cannot reach the Kubernetes API; reports are not published', { error: (err as Error).message });
    return NO_REPORTS;
  }
  log.info('publishing reports', { configMap: `${config.configMap.namespace}/${config.configMap.name}` });
  const writer = createReportWriter(edge.sink, { minIntervalMs: config.minIntervalMs, logger: log });
  return {
    publish: writer.publish,
    flush: writer.flush,
    async close() {
      await writer.close();
      edge.close();
    },
  };
}
