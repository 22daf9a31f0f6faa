/**
 * kubeconform, offline: schemas written into a folder (see kube-schemas.ts) and looked up there with kubeconform's
 * own naming convention, in strict mode. ServiceMonitor is skipped: its CRD (the Prometheus Operator's) is not
 * installed anywhere here, so the chart tests check its shape by hand.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../../helpers/berth-process.js';
import { run, tool } from '../../../helpers/tools.js';
import { tempDir } from './chart.js';
import { schemasFromCrd, schemasFromOpenApiV2, type Schema } from './kube-schemas.js';

export interface KubeconformSummary {
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
}

/** Writes the API server's kinds and the CRDs of deploy/crds as schema files; returns the folder. */
export async function writeSchemas(openApiV2: { definitions: Record<string, Schema> }): Promise<string> {
  const dir = tempDir('berth-kube-schemas-');
  const files = schemasFromOpenApiV2(openApiV2);
  const crdDir = join(REPO_ROOT, 'deploy', 'crds');
  for (const f of await readdir(crdDir)) {
    for (const [name, schema] of schemasFromCrd(parseYaml(await readFile(join(crdDir, f), 'utf8')))) files.set(name, schema);
  }
  for (const [name, schema] of files) await writeFile(join(dir, name), JSON.stringify(schema));
  return dir;
}

/** Validates a YAML stream; resolves with kubeconform's summary and its full output. */
export async function kubeconform(schemaDir: string, manifests: string): Promise<{ code: number | null; summary: KubeconformSummary; output: string }> {
  const r = await run(
    tool('kubeconform'),
    ['-strict', '-summary', '-output', 'json', '-skip', 'ServiceMonitor', '-schema-location', `${schemaDir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`, '-'],
    { input: manifests },
  );
  const parsed = JSON.parse(r.stdout) as { summary: KubeconformSummary };
  return { code: r.code, summary: parsed.summary, output: r.stdout + r.stderr };
}
