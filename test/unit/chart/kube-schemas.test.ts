/** The offline kubeconform schemas the chart tests generate: kubeconform's file names and the strict rewrite. */
import { kindSuffix, reachable, schemaFileName, schemasFromCrd, schemasFromOpenApiV2, strictify } from '../../integration/chart/helpers/kube-schemas.js';

describe('kubeconform file names', () => {
  test.each([
    ['', 'v1', 'Service', 'service-v1.json'],
    ['apps', 'v1', 'Deployment', 'deployment-apps-v1.json'],
    ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterrole-rbac-v1.json'],
    ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudget-policy-v1.json'],
    ['berth.dev', 'v1alpha1', 'Registry', 'registry-berth-v1alpha1.json'],
  ])('%s/%s %s -> %s', (group, version, kind, file) => {
    expect(schemaFileName(group, version, kind)).toBe(file);
  });

  test('the core group has no group part in the suffix', () => {
    expect(kindSuffix('', 'v1')).toBe('-v1');
  });
});

describe('strictify', () => {
  test.each([
    ['an object with properties allows no others', { type: 'object', properties: { a: { type: 'string' } } }, { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }],
    ['a map keeps its additionalProperties', { type: 'object', additionalProperties: { type: 'string' } }, { type: 'object', additionalProperties: { type: 'string' } }],
    ['preserve-unknown-fields stays open', { type: 'object', properties: {}, 'x-kubernetes-preserve-unknown-fields': true }, { type: 'object', properties: {}, 'x-kubernetes-preserve-unknown-fields': true }],
    ['int-or-string (OpenAPI v2 format)', { type: 'string', format: 'int-or-string' }, { oneOf: [{ type: 'string' }, { type: 'integer' }] }],
    ['int-or-string (CRD marker)', { 'x-kubernetes-int-or-string': true }, { 'x-kubernetes-int-or-string': true, oneOf: [{ type: 'string' }, { type: 'integer' }] }],
    ['a property named "properties" is a field, not a keyword', { properties: { properties: { type: 'object', properties: { x: {} } } } }, { properties: { properties: { type: 'object', properties: { x: {} }, additionalProperties: false } }, additionalProperties: false }],
    ['nested in arrays', { type: 'array', items: { properties: { a: {} } } }, { type: 'array', items: { properties: { a: {} }, additionalProperties: false } }],
  ])('%s', (_what, input, output) => {
    expect(strictify(input)).toEqual(output);
  });
});

describe('schemas from the API server and from CRDs', () => {
  const definitions = {
    'io.k8s.api.apps.v1.Deployment': {
      type: 'object',
      properties: { spec: { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec' } },
      'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
    },
    'io.k8s.api.apps.v1.DeploymentSpec': { type: 'object', properties: { replicas: { type: 'integer' }, self: { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec' } } },
    'io.k8s.api.core.v1.Unrelated': { type: 'object' },
  };

  test('reachable follows $ref, cycles included, and stops there', () => {
    expect([...reachable(definitions, 'io.k8s.api.apps.v1.Deployment')].sort()).toEqual(['io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.DeploymentSpec']);
  });

  test('one file per kind, pointing at its definition, carrying only what it reaches', () => {
    const files = schemasFromOpenApiV2({ definitions });
    expect([...files.keys()]).toEqual(['deployment-apps-v1.json']);
    const schema = files.get('deployment-apps-v1.json')!;
    expect(schema.$ref).toBe('#/definitions/io.k8s.api.apps.v1.Deployment');
    expect(Object.keys(schema.definitions).sort()).toEqual(['io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.DeploymentSpec']);
    expect(schema.definitions['io.k8s.api.apps.v1.DeploymentSpec'].additionalProperties).toBe(false);
  });

  test('a CRD gives one strict schema per version, with its apiVersion and kind fixed', () => {
    const crd = {
      spec: {
        group: 'berth.dev',
        names: { kind: 'Registry' },
        versions: [{ name: 'v1alpha1', schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string' } } } } } } }],
      },
    };
    const schema = schemasFromCrd(crd).get('registry-berth-v1alpha1.json')!;
    expect(schema.properties.apiVersion).toEqual({ type: 'string', enum: ['berth.dev/v1alpha1'] });
    expect(schema.properties.kind).toEqual({ type: 'string', enum: ['Registry'] });
    expect(schema.properties.spec.additionalProperties).toBe(false);
    expect(schema.additionalProperties).toBe(false);
  });
});
