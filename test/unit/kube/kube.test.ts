import { classifyFailure, ApiError } from '../../../src/kube/api-error.js';
import { buildUrlPath, verbOf } from '../../../src/kube/api-client.js';
import { kubeMicroTime, kubeTime, objectKey, parseKey } from '../../../src/kube/objects.js';
import { RESOURCES, resourcePath } from '../../../src/kube/resources.js';
import { nextLeaseSpec } from '../../../src/operator/runtime/leader-election.js';
import { registryChanged } from '../../../src/operator/registry/controller.js';
import { registry } from '../operator/registry-fixture.js';
import { InformerFactory, informerKey } from '../../../src/kube/informer-factory.js';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import { silentLogger } from '../../../src/shared/logger.js';

describe('resourcePath', () => {
  test.each<[string, string]>([
    [resourcePath(RESOURCES.registry), '/apis/berth.dev/v1alpha1/registries'],
    [resourcePath(RESOURCES.registry, 'a', 'r', 'status'), '/apis/berth.dev/v1alpha1/namespaces/a/registries/r/status'],
    [resourcePath(RESOURCES.secret, 'a'), '/api/v1/namespaces/a/secrets'],
    [resourcePath(RESOURCES.namespace, 'ignored', 'x'), '/api/v1/namespaces/x'],
    [resourcePath(RESOURCES.lease, 'sys', 'berth-operator'), '/apis/coordination.k8s.io/v1/namespaces/sys/leases/berth-operator'],
  ])('%s', (actual, expected) => expect(actual).toBe(expected));
});

describe('requests', () => {
  test.each<[Parameters<typeof verbOf>[0], Parameters<typeof verbOf>[1], string]>([
    ['GET', undefined, 'get'],
    ['GET', { watch: 1 }, 'watch'],
    ['POST', undefined, 'create'],
    ['PUT', undefined, 'update'],
    ['PATCH', undefined, 'patch'],
    ['DELETE', undefined, 'delete'],
  ])('%s %j is %s', (method, query, verb) => expect(verbOf(method, query)).toBe(verb));

  test('query strings leave out undefined values', () => {
    expect(buildUrlPath('/p', { a: 1, b: undefined, c: 'x y' })).toBe('/p?a=1&c=x+y');
    expect(buildUrlPath('/p', {})).toBe('/p');
  });

  test.each<[number, string, string]>([
    [0, '', 'retry'],
    [500, '', 'retry'],
    [503, '', 'retry'],
    [429, 'TooManyRequests', 'retry'],
    [409, 'Conflict', 'retry'],
    [409, 'AlreadyExists', 'exists'],
    [404, 'NotFound', 'notFound'],
    [403, 'Forbidden', 'forbidden'],
    [422, 'Invalid', 'invalid'],
    [400, 'BadRequest', 'invalid'],
  ])('HTTP %d %s → %s', (status, reason, kind) => {
    expect(classifyFailure(new ApiError(status, reason, 'm', 'get', '/'))).toBe(kind);
  });
});

describe('objects', () => {
  test('keys', () => {
    expect(objectKey({ metadata: { name: 'n', namespace: 'ns' } })).toBe('ns/n');
    expect(objectKey({ metadata: { name: 'n' } })).toBe('n');
    expect(parseKey('ns/n')).toEqual({ namespace: 'ns', name: 'n' });
    expect(parseKey('n')).toEqual({ namespace: undefined, name: 'n' });
  });

  test('times', () => {
    const d = new Date('2030-01-02T03:04:05.678Z');
    expect(kubeTime(d)).toBe('2030-01-02T03:04:05Z');
    expect(kubeMicroTime(d)).toBe('2030-01-02T03:04:05.678000Z');
  });
});

describe('nextLeaseSpec', () => {
  const now = new Date('2030-01-01T00:00:10.000Z');
  test.each<[string, Parameters<typeof nextLeaseSpec>[0], number, string]>([
    ['a new Lease', {}, 0, now.toISOString().replace('Z', '000Z')],
    ['taking over from another holder', { holderIdentity: 'other', leaseTransitions: 2, acquireTime: 'old' }, 3, now.toISOString().replace('Z', '000Z')],
    ['renewing our own', { holderIdentity: 'me', leaseTransitions: 2, acquireTime: 'kept' }, 2, 'kept'],
    ['a released Lease', { holderIdentity: '', leaseTransitions: 4 }, 4, now.toISOString().replace('Z', '000Z')],
  ])('%s', (_n, current, transitions, acquireTime) => {
    const next = nextLeaseSpec(current, 'me', 12_000, now);
    expect(next).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 12,
      acquireTime,
      renewTime: '2030-01-01T00:00:10.000000Z',
      leaseTransitions: transitions,
    });
  });
});

describe('registryChanged (which Registry updates need a reconcile)', () => {
  const base = registry();
  test.each<[string, Partial<typeof base.metadata>, object | undefined, boolean]>([
    ['only status and resourceVersion', { resourceVersion: '101' }, { observedGeneration: 3 }, false],
    ['a new generation (spec change)', { generation: 4 }, undefined, true],
    ['a label', { labels: { a: 'b' } }, undefined, true],
    ['deletion started', { deletionTimestamp: '2030-01-01T00:00:00Z' }, undefined, true],
  ])('%s → %s', (_n, meta, status, expected) => {
    const next = { ...base, metadata: { ...base.metadata, ...meta }, status };
    expect(registryChanged(base, next)).toBe(expected);
  });
});

describe('InformerFactory', () => {
  const factory = new InformerFactory({ api: {} as KubeApi, logger: silentLogger() });
  test('one informer per resource, namespace and selectors', () => {
    const a = factory.informer(RESOURCES.secret, { labelSelector: 'x=y' });
    expect(factory.informer(RESOURCES.secret, { labelSelector: 'x=y' })).toBe(a);
    expect(factory.informer(RESOURCES.secret, { labelSelector: 'x=y', namespace: 'n' })).not.toBe(a);
    expect(factory.informer(RESOURCES.secret, { fieldSelector: 'metadata.name=p' })).not.toBe(a);
    expect(factory.informer(RESOURCES.service, { labelSelector: 'x=y' })).not.toBe(a);
    expect(factory.all()).toHaveLength(4);
  });

  test.each<[Parameters<typeof informerKey>[1], string]>([
    [{}, 'secrets.|||'],
    [{ namespace: 'a', labelSelector: 'l=1', fieldSelector: 'metadata.name=p' }, 'secrets.|a|l=1|metadata.name=p'],
  ])('key of %j is %s', (scope, key) => expect(informerKey(RESOURCES.secret, scope)).toBe(key));
});
