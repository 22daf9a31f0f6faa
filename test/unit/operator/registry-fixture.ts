import type { Registry } from '../../../src/operator/registry/types.js';

/** A Registry as the API server returns it (uid, generation), with `spec` merged over nothing. */
export function registry(spec: Registry['spec'] = {}, name = 'reg', namespace = 'team'): Registry {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name, namespace, uid: 'uid-1', generation: 3, resourceVersion: '100' },
    spec,
  };
}
