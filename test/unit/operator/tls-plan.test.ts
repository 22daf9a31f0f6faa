import { parse as parseYaml } from 'yaml';
import { planRegistry, type RegistryPlan } from '../../../src/operator/registry/plan.js';
import {
  certificateDecision,
  hostsOfSubjectAltName,
  servingHosts,
  tlsMode,
  type ExistingCertificate,
} from '../../../src/operator/registry/tls-plan.js';
import { withDefaults, type Registry } from '../../../src/operator/registry/types.js';
import type { KubeObject } from '../../../src/kube/objects.js';
import { registry } from './registry-fixture.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-01T12:00:00Z');
const at = (days: number): Date => new Date(NOW.getTime() + days * DAY);
const SVC = ['reg', 'reg.team', 'reg.team.svc', 'reg.team.svc.cluster.local'];

describe('tlsMode', () => {
  test.each<[string, Registry['spec'], ReturnType<typeof tlsMode>]>([
    ['no spec.tls: plain HTTP', {}, { kind: 'none' }],
    ['a referenced Secret', { tls: { secretName: 'from-cert-manager' } }, { kind: 'secret', secretName: 'from-cert-manager' }],
    ['an empty tls: the operator issues', { tls: {} }, { kind: 'issued', secretName: 'reg-tls', caConfigMap: 'reg-ca' }],
  ])('%s', (_name, spec, mode) => {
    expect(tlsMode('reg', withDefaults(spec))).toEqual(mode);
  });
});

describe('servingHosts', () => {
  test.each<[string, Registry['spec'], string[]]>([
    ['ClusterIP, no host: the Service names', {}, SVC],
    ['a host name: without its port', { expose: { host: 'registry.example.com:8443' } }, [...SVC, 'registry.example.com']],
    ['an IP host', { expose: { host: '10.0.0.5:30500', service: { type: 'NodePort' } } }, [...SVC, '10.0.0.5', 'localhost', '127.0.0.1']],
    ['NodePort as localhost: localhost once, and 127.0.0.1', { expose: { host: 'localhost:30500', service: { type: 'NodePort', nodePort: 30500 } } }, [...SVC, 'localhost', '127.0.0.1']],
    ['LoadBalancer: no loopback names', { expose: { host: 'reg.example.com', service: { type: 'LoadBalancer' } } }, [...SVC, 'reg.example.com']],
  ])('%s', (_name, spec, hosts) => {
    expect(servingHosts('reg', 'team', withDefaults(spec))).toEqual(hosts);
  });
});

describe('certificateDecision', () => {
  const cert = (over: Partial<ExistingCertificate> = {}): ExistingCertificate => ({ hosts: SVC, notBefore: at(-10), notAfter: at(80), signedByCa: true, ...over });
  test.each<[string, ExistingCertificate | undefined, readonly string[], ReturnType<typeof certificateDecision>]>([
    ['none yet', undefined, SVC, { issue: true, why: 'no certificate yet' }],
    ['fresh and right: renewed when a third of its 90 days is left', cert(), SVC, { issue: false, renewAt: at(50) }],
    ['the same names in another order', cert({ hosts: [...SVC].reverse() }), SVC, { issue: false, renewAt: at(50) }],
    ['a name added', cert(), [...SVC, 'localhost'], { issue: true, why: 'the names changed (+localhost)' }],
    ['a name dropped', cert({ hosts: [...SVC, 'old.example.com'] }), SVC, { issue: true, why: 'the names changed (-old.example.com)' }],
    ['signed by another CA', cert({ signedByCa: false }), SVC, { issue: true, why: "the certificate is not signed by the operator's CA" }],
    ['at the renewal point', cert({ notBefore: at(-60), notAfter: at(30) }), SVC, { issue: true, why: `it expires at ${at(30).toISOString()}` }],
    ['expired', cert({ notBefore: at(-100), notAfter: at(-10) }), SVC, { issue: true, why: `it expires at ${at(-10).toISOString()}` }],
    ['one day before the renewal point', cert({ notBefore: at(-59), notAfter: at(31) }), SVC, { issue: false, renewAt: at(1) }],
  ])('%s', (_name, existing, hosts, decision) => {
    expect(certificateDecision(existing, hosts, NOW)).toEqual(decision);
  });
});

test('hostsOfSubjectAltName reads what X509Certificate prints', () => {
  expect(hostsOfSubjectAltName('DNS:reg.team.svc, DNS:localhost, IP Address:127.0.0.1')).toEqual(['reg.team.svc', 'localhost', '127.0.0.1']);
  expect(hostsOfSubjectAltName(undefined)).toEqual([]);
});

describe('planRegistry with spec.tls', () => {
  const plan = (spec: Registry['spec']): RegistryPlan => {
    const r = planRegistry(registry(spec), { defaultImage: 'berth:1' });
    if (!r.ok) throw new Error(r.message);
    return r.plan;
  };
  const deployment = (p: RegistryPlan) => p.apply.find((a) => a.object.kind === 'Deployment')!.object as KubeObject & { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const config = (p: RegistryPlan) => {
    const secret = p.apply.find((a) => a.object.metadata.name === 'reg-config')!.object as KubeObject & { data: Record<string, string> };
    return parseYaml(Buffer.from(secret.data['config.yaml']!, 'base64').toString('utf8'));
  };

  test('issued: https URL, the config points http.tls at the mounted Secret, probes use HTTPS, the CA ConfigMap stays', () => {
    const p = plan({ tls: {}, expose: { host: 'localhost:30500', service: { type: 'NodePort', nodePort: 30500 } } });
    expect(p.endpoint).toEqual({ host: 'localhost:30500', url: 'https://localhost:30500' });
    expect(p.tlsHosts).toEqual([...SVC, 'localhost', '127.0.0.1']);
    expect(config(p).http).toMatchObject({ externalUrl: 'https://localhost:30500', tls: { certFile: '/etc/berth-tls/tls.crt', keyFile: '/etc/berth-tls/tls.key' } });
    const pod = deployment(p).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'reg-tls', defaultMode: 0o440 } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/berth-tls', readOnly: true });
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect(pod.containers[0][probe].httpGet.scheme).toBe('HTTPS');
    expect(p.remove.map((r) => r.resource.kind)).not.toContain('ConfigMap');
  });

  test('a referenced Secret: mounted as is, nothing issued, no CA ConfigMap', () => {
    const p = plan({ tls: { secretName: 'cm-cert' }, expose: { host: 'registry.example.com' } });
    expect(p.tls).toEqual({ kind: 'secret', secretName: 'cm-cert' });
    expect(p.tlsHosts).toEqual([]);
    expect(deployment(p).spec.template.spec.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'cm-cert', defaultMode: 0o440 } });
    expect(p.apply.map((a) => a.object.metadata.name)).not.toContain('cm-cert');
    expect(p.remove.map((r) => `${r.resource.kind}/${r.name}`)).toContain('ConfigMap/reg-ca');
    expect(p.endpoint.url).toBe('https://registry.example.com');
  });

  test('no spec.tls: plain HTTP probes, no tls volume, no http.tls', () => {
    const p = plan({});
    const pod = deployment(p).spec.template.spec;
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('tls');
    expect(config(p).http.tls).toBeUndefined();
  });
});
