/** deploy/crds is generated from src/shared/schemas: these fail when someone edits one without the other. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CRD_SOURCES, crdObject, crdYaml } from '../../../../src/shared/schemas/crds.js';
import { withDefaults } from '../../../../src/operator/registry/types.js';
import { REPO_ROOT } from '../../../helpers/berth-process.js';

describe.each(CRD_SOURCES.map((src) => [src.file, src] as const))('%s', (file, src) => {
  const committed = readFileSync(join(REPO_ROOT, 'deploy', 'crds', file), 'utf8');

  test('the committed YAML is what `npm run generate:crds` writes', () => {
    expect(committed).toBe(crdYaml(src));
  });

  test('the YAML parses back to the generated object (no YAML quoting surprises)', () => {
    expect(parseYaml(committed)).toEqual(crdObject(src));
  });
});

describe('defaults come from the schema', () => {
  test('an empty Registry spec gets what the API server fills in', () => {
    // The same object the integration test reads back from a real API server for `spec: {}`.
    expect(withDefaults({})).toEqual({
      replicas: 1,
      imagePullPolicy: 'IfNotPresent',
      logLevel: 'info',
      storage: { size: '10Gi', accessModes: ['ReadWriteOnce'], reclaimPolicy: 'Retain' },
      expose: { service: { type: 'ClusterIP', port: 5000 } },
      auth: { tokenTtl: '5m' },
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    });
  });

  test.each<[string, Parameters<typeof withDefaults>[0], (s: ReturnType<typeof withDefaults>) => unknown, unknown]>([
    ['an empty image means the operator default', { image: '' }, (s) => s.image, undefined],
    ['an empty existing claim is unset', { storage: { existingClaim: '' } }, (s) => s.storage.existingClaim, undefined],
    ['an ingress gets enabled: false', { expose: { ingress: { className: 'nginx' } } }, (s) => s.expose.ingress, { enabled: false, className: 'nginx' }],
    ['given resources replace the default ones', { resources: { limits: { memory: '1Gi' } } }, (s) => s.resources, { limits: { memory: '1Gi' } }],
    ['nameless pull Secrets are dropped', { imagePullSecrets: [{ name: '' }, { name: 'x' }] }, (s) => s.imagePullSecrets, [{ name: 'x' }]],
    ['tenancy keeps namespace paths unless switched off', { tenancy: { grants: [] } }, (s) => s.tenancy, { namespacePaths: true, grants: [] }],
    ['the input is not changed', { storage: {} }, () => undefined, undefined],
  ])('%s', (_name, spec, pick, expected) => {
    const before = structuredClone(spec);
    expect(pick(withDefaults(spec))).toEqual(expected);
    expect(spec).toEqual(before);
  });
});
