/**
 * The Kubernetes edge of the report channel: a JSON merge patch of the `data` keys of the report ConfigMap the
 * operator made. The registry's ServiceAccount may only `get` and `patch` that one ConfigMap, so it never creates
 * one (a missing ConfigMap is a failed write, retried until the operator puts it back) and touches no other key.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from '../../kube/api-client.js';
import { RESOURCES, resourcePath } from '../../kube/resources.js';
import type { ReportConfig } from '../../shared/registry-config.js';
import type { ReportSink } from './writer.js';

/** The field manager of the registry's writes (in the ConfigMap's managedFields). */
export const REPORT_FIELD_MANAGER = 'berth-registry';

/** The merge patch that sets `entries` and leaves every other key alone (pure). */
export function reportPatch(entries: Record<string, string>): { data: Record<string, string> } {
  return { data: entries };
}

export interface KubeReportSink {
  sink: ReportSink;
  close(): void;
}

/** A sink patching `config.configMap`; credentials from `$KUBECONFIG`, else the pod's ServiceAccount. */
export async function kubeReportSink(config: ReportConfig, kubeConfig?: KubeConfig): Promise<KubeReportSink> {
  let kc = kubeConfig;
  if (!kc) {
    kc = new KubeConfig();
    kc.loadFromDefault();
  }
  const client = await ApiClient.create(kc);
  const { namespace, name } = config.configMap;
  return {
    async sink(entries) {
      await client.request({
        method: 'PATCH',
        path: resourcePath(RESOURCES.configMap, namespace, name),
        query: { fieldManager: REPORT_FIELD_MANAGER },
        body: reportPatch(entries),
        contentType: 'application/merge-patch+json',
        timeoutMs: 10_000,
      });
    },
    close: () => client.close(),
  };
}
