import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { withDefaults } from '../../../src/operator/registry/types.js';
import { REPO_ROOT } from '../../helpers/berth-process.js';

type Schema = { type?: string; description?: string; default?: unknown; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean };

const CRD_DIR = join(REPO_ROOT, 'deploy', 'crds');

function schemaOf(file: string): Schema {
  const crd = parseYaml(readFileSync(join(CRD_DIR, file), 'utf8'));
  return crd.spec.versions[0].schema.openAPIV3Schema as Schema;
}

/** Paths of properties without a description (metadata is described by Kubernetes itself). */
function undescribed(schema: Schema, path: string): string[] {
  const missing: string[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const p = `${path}.${name}`;
    if (p === '.metadata') continue;
    if (!child.description) missing.push(p);
    missing.push(...undescribed(child, p));
    if (child.items) missing.push(...undescribed(child.items, `${p}[]`));
  }
  return missing;
}

describe('CRDs', () => {
  test('deploy/crds holds the Registry and Repository CRDs', () => {
    expect(readdirSync(CRD_DIR).sort()).toEqual(['berth.dev_registries.yaml', 'berth.dev_repositories.yaml']);
  });

  test.each(['berth.dev_registries.yaml', 'berth.dev_repositories.yaml'])('%s describes every field (kubectl explain)', (file) => {
    expect(undescribed(schemaOf(file), '')).toEqual([]);
  });

  test('the Registry defaults in the CRD are the ones the operator assumes', () => {
    const spec = schemaOf('berth.dev_registries.yaml').properties!.spec!.properties!;
    const d = withDefaults({ expose: { ingress: {} } });
    expect(spec.replicas!.default).toBe(d.replicas);
    expect(spec.imagePullPolicy!.default).toBe(d.imagePullPolicy);
    expect(spec.logLevel!.default).toBe(d.logLevel);
    expect(spec.storage!.properties!.size!.default).toBe(d.storage.size);
    expect(spec.storage!.properties!.accessModes!.default).toEqual(d.storage.accessModes);
    expect(spec.storage!.properties!.reclaimPolicy!.default).toBe(d.storage.reclaimPolicy);
    expect(spec.expose!.properties!.service!.properties!.type!.default).toBe(d.expose.service.type);
    expect(spec.expose!.properties!.service!.properties!.port!.default).toBe(d.expose.service.port);
    expect(spec.expose!.properties!.ingress!.properties!.enabled!.default).toBe(d.expose.ingress!.enabled);
    expect(spec.auth!.properties!.tokenTtl!.default).toBe(d.auth.tokenTtl);
    expect(spec.resources!.default).toEqual(d.resources);
  });
});
