import type { Registry } from '../../../../src/operator/registry/types.js';
import type { Namespace, Repository } from '../../../../src/operator/access/types.js';

/** A Registry `berth/reg` as the API server returns it. */
export function registry(spec: Record<string, unknown> = { expose: { host: 'registry.example.test' } }, name = 'reg', namespace = 'berth'): Registry {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, generation: 1, resourceVersion: '1' },
    spec,
  };
}

let counter = 0;

/** A Repository in `namespace` for the Registry berth/reg; `created` orders admission (oldest wins a path). */
export function repository(namespace: string, name: string, spec: Record<string, unknown>, created = '2030-01-01T00:00:00Z', extra: Partial<Repository['metadata']> = {}): Repository {
  counter += 1;
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Repository',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, generation: 1, resourceVersion: String(counter), creationTimestamp: created, ...extra },
    spec: { registryRef: { name: 'reg', namespace: 'berth' }, ...spec },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}, phase = 'Active', annotations?: Record<string, string>): Namespace {
  const metadata = { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, ...(annotations ? { annotations } : {}) };
  return { apiVersion: 'v1', kind: 'Namespace', metadata, status: { phase } };
}

/** A deterministic secret minter: berth_test-secret-0001, -0002, … (long enough to be a robot secret). */
export function minter(prefix = 'berth_test-secret-'): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(4, '0')}-${'x'.repeat(32)}`;
}

export const T0 = Date.parse('2030-06-01T12:00:00Z');
