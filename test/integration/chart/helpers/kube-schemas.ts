/**
 * Offline JSON schemas for kubeconform: the built-in kinds from a real kube-apiserver's `/openapi/v2`, and our
 * CRDs from deploy/crds, written with kubeconform's naming convention (`{{ .ResourceKind }}{{ .KindSuffix }}.json`:
 * `deployment-apps-v1.json`, `service-v1.json`, `registry-berth-v1alpha1.json`) and made strict the way the
 * upstream `-standalone-strict` schemas are: an object that lists its properties allows no others.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

export type Schema = Record<string, any>;

/** kubeconform's KindSuffix: `-<first label of the group>-<version>`, or `-<version>` for the core group. */
export function kindSuffix(group: string, version: string): string {
  return group === '' ? `-${version}` : `-${group.split('.')[0]!.toLowerCase()}-${version.toLowerCase()}`;
}

/** The file kubeconform looks up for a kind: `-schema-location '<dir>/{{ .ResourceKind }}{{ .KindSuffix }}.json'`. */
export function schemaFileName(group: string, version: string, kind: string): string {
  return `${kind.toLowerCase()}${kindSuffix(group, version)}.json`;
}

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };

/**
 * A copy of `node` made strict: objects with `properties` get `additionalProperties: false` (unless they keep
 * unknown fields), and int-or-string fields accept both.
 */
export function strictify(node: any): any {
  if (Array.isArray(node)) return node.map(strictify);
  if (node === null || typeof node !== 'object') return node;
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string'] === true) {
    const { type: _type, format: _format, ...rest } = node;
    return { ...strictifyEntries(rest), ...INT_OR_STRING };
  }
  const out = strictifyEntries(node);
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

function strictifyEntries(node: Record<string, any>): Record<string, any> {
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'properties' ? mapValues(v, strictify) : strictify(v)]));
}

function mapValues(obj: Record<string, any>, fn: (v: any) => any): Record<string, any> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

/** Names of the definitions `root` reaches through `$ref`, itself included. */
export function reachable(definitions: Record<string, Schema>, root: string): Set<string> {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name) || !definitions[name]) continue;
    seen.add(name);
    JSON.stringify(definitions[name], (key, value) => {
      if (key === '$ref' && typeof value === 'string') stack.push(value.replace('#/definitions/', ''));
      return value;
    });
  }
  return seen;
}

/** One schema file per kind the API server serves (definitions with `x-kubernetes-group-version-kind`). */
export function schemasFromOpenApiV2(doc: { definitions: Record<string, Schema> }): Map<string, Schema> {
  const definitions: Record<string, Schema> = { ...doc.definitions, [QUANTITY]: { oneOf: [{ type: 'string' }, { type: 'number' }] } };
  const files = new Map<string, Schema>();
  for (const [name, def] of Object.entries(doc.definitions)) {
    const gvks: Array<{ group: string; version: string; kind: string }> = def['x-kubernetes-group-version-kind'] ?? [];
    if (gvks.length === 0) continue;
    const defs = Object.fromEntries([...reachable(definitions, name)].map((n) => [n, strictify(definitions[n])]));
    for (const { group, version, kind } of gvks) {
      files.set(schemaFileName(group, version, kind), { $ref: `#/definitions/${name}`, definitions: defs });
    }
  }
  return files;
}

/** One schema file per served version of a CustomResourceDefinition (its `openAPIV3Schema`, made strict). */
export function schemasFromCrd(crd: Schema): Map<string, Schema> {
  const files = new Map<string, Schema>();
  const { group, names } = crd.spec;
  for (const v of crd.spec.versions as Schema[]) {
    const schema = strictify(v.schema.openAPIV3Schema);
    schema.properties = {
      ...schema.properties,
      apiVersion: { type: 'string', enum: [`${group}/${v.name}`] },
      kind: { type: 'string', enum: [names.kind] },
      metadata: { type: 'object' },
    };
    schema.additionalProperties = false;
    files.set(schemaFileName(group, v.name, names.kind), schema);
  }
  return files;
}
