/**
 * The operator's side of the report channel: the documents a Registry's pods published in its report ConfigMap
 * (build-report.ts), read from the ConfigMap informer's cache and checked against their schemas
 * (src/shared/schemas/report.ts). A document that is missing is simply absent; one that is not valid is ignored
 * with one log line per version of the ConfigMap, never an error of the reconcile.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from '../../shared/logger.js';
import type { KubeObject } from '../../kube/objects.js';
import { parseReportDocument, type ReportParse } from '../../shared/report.js';

/** A ConfigMap as the informer holds it. */
export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

/** The document under `key`, checked against `schema`; undefined when absent (pure). */
export function reportDocument<S extends TSchema>(configMap: ConfigMapObject | undefined, key: string, schema: S): ReportParse<Static<S>> | undefined {
  const text = configMap?.data?.[key];
  return text === undefined ? undefined : parseReportDocument(schema, text);
}

/** Reads report documents, logging each invalid one once per version of its ConfigMap. */
export class ReportReader {
  readonly #logged = new Set<string>();

  constructor(private readonly logger: Logger) {}

  read<S extends TSchema>(configMap: ConfigMapObject | undefined, key: string, schema: S): Static<S> | undefined {
    const parsed = reportDocument(configMap, key, schema);
    if (!parsed || parsed.ok) return parsed?.value;
    const id = `${configMap!.metadata.namespace}/${configMap!.metadata.name}/${key}@${configMap!.metadata.resourceVersion ?? ''}`;
    if (!this.#logged.has(id)) {
      if (this.#logged.size > 10_000) this.#logged.clear();
      this.#logged.add(id);
      this.logger.warn('ignoring an invalid report document', {
        configMap: `${configMap!.metadata.namespace}/${configMap!.metadata.name}`,
        key,
        problem: parsed.problem,
      });
    }
    return undefined;
  }
}
