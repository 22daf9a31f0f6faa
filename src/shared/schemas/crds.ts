/**
 * The CustomResourceDefinitions in `deploy/crds`, generated from the schemas (`npm run generate:crds`; a unit test
 * fails when the committed files differ from what this renders). Pure: nothing here touches the disk.
 */
import type { TSchema } from '@sinclair/typebox';
import { Document, isScalar, visit } from 'yaml';
import { jsonSchema } from './kit.js';
import { RegistrySchema } from './registry.js';
import { RepositorySchema } from './repository.js';

export const CRD_GROUP = 'berth.dev';
export const CRD_VERSION = 'v1alpha1';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  description?: string;
  jsonPath: string;
}

interface CrdSource {
  /** File name under deploy/crds. */
  file: string;
  /** The comment at the top of the file. */
  comment: string;
  kind: string;
  plural: string;
  shortName: string;
  schema: TSchema;
  subresources: Record<string, unknown>;
  columns: PrinterColumn[];
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const CRD_SOURCES: readonly CrdSource[] = [
  {
    file: 'berth.dev_registries.yaml',
    comment:
      'Registry: one private OCI registry (`berth serve` pods, its volume, Service and optional Ingress), run by the\n' +
      'Berth operator. `kubectl explain registry.spec` shows every field below.',
    kind: 'Registry',
    plural: 'registries',
    shortName: 'breg',
    schema: RegistrySchema,
    subresources: {
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    },
    columns: [
      { name: 'Endpoint', type: 'string', description: 'The host clients put in image references.', jsonPath: '.status.endpoint' },
      { name: 'Ready', type: 'integer', description: 'Registry pods that pass their readiness probe.', jsonPath: '.status.readyReplicas' },
      { name: 'Replicas', type: 'integer', description: 'Registry pods asked for.', jsonPath: '.spec.replicas' },
      {
        name: 'Available',
        type: 'string',
        description: 'Whether at least one registry pod serves requests.',
        jsonPath: '.status.conditions[?(@.type=="Available")].status',
      },
      AGE,
    ],
  },
  {
    file: 'berth.dev_repositories.yaml',
    comment:
      'Repository: a repository path in a Registry, who may pull and push it, and the namespaces that get a pull Secret\n' +
      'for it. `kubectl explain repository.spec` shows every field below.',
    kind: 'Repository',
    plural: 'repositories',
    shortName: 'brepo',
    schema: RepositorySchema,
    subresources: { status: {} },
    columns: [
      { name: 'Registry', type: 'string', description: 'The Registry this repository lives in.', jsonPath: '.spec.registryRef.name' },
      { name: 'Path', type: 'string', description: 'The repository path in image references.', jsonPath: '.spec.path' },
      { name: 'Visibility', type: 'string', jsonPath: '.spec.visibility' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Namespaces', type: 'integer', description: 'Namespaces that hold a working pull Secret.', jsonPath: '.status.syncedNamespaces' },
      { name: 'Size', type: 'string', description: 'Bytes the repository holds, each blob counted once.', jsonPath: '.status.usage.size' },
      { name: 'Tags', type: 'integer', description: 'Number of tags.', jsonPath: '.status.usage.tags' },
      { name: 'Quota', type: 'string', description: 'The quota (spec.quota.size).', jsonPath: '.spec.quota.size' },
      AGE,
    ],
  },
];

/** The order keys are written in within a schema node (the rest follow in their own order). */
const KEY_ORDER = [
  'type', 'format', 'x-kubernetes-int-or-string', 'required', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'maxProperties', 'pattern', 'enum', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'default', 'description',
  'x-kubernetes-validations', 'properties', 'additionalProperties', 'items',
];

/** A JSON Schema node with its keys in {@link KEY_ORDER} and its children ordered too (pure). */
function ordered(node: unknown, isSchema = true): unknown {
  if (Array.isArray(node)) return node.map((n) => ordered(n, isSchema));
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node as Record<string, unknown>);
  if (isSchema) entries.sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(
    entries.map(([k, v]) => {
      if (k === 'properties' && isSchema) return [k, Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, ordered(s)]))];
      return [k, ordered(v, isSchema && (k === 'items' || k === 'additionalProperties'))];
    }),
  );
}

function rank(key: string): number {
  const i = KEY_ORDER.indexOf(key);
  return i < 0 ? KEY_ORDER.length : i;
}

/** The CRD object of one kind (pure). */
export function crdObject(src: CrdSource): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${src.plural}.${CRD_GROUP}`, labels: { 'app.kubernetes.io/name': 'berth', 'app.kubernetes.io/component': 'crd' } },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: {
        kind: src.kind,
        listKind: `${src.kind}List`,
        plural: src.plural,
        singular: src.kind.toLowerCase(),
        shortNames: [src.shortName],
        categories: ['berth'],
      },
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          subresources: src.subresources,
          additionalPrinterColumns: src.columns,
          schema: { openAPIV3Schema: ordered(jsonSchema(src.schema)) },
        },
      ],
    },
  };
}

/** The YAML text of one CRD file, as committed in deploy/crds (pure). */
export function crdYaml(src: CrdSource): string {
  const doc = new Document(crdObject(src));
  // Short lists of scalars (enums, required fields, short names) read best on one line.
  visit(doc, { Seq: (_key, node) => void (node.flow = node.items.every(isScalar)) });
  doc.commentBefore = ` ${src.comment.replace(/\n/g, '\n ')}\n Generated from src/shared/schemas by \`npm run generate:crds\`; do not edit.`;
  return doc.toString({ lineWidth: 120, minContentWidth: 40, flowCollectionPadding: false });
}
