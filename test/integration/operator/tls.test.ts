/**
 * spec.tls against a real control plane, with the operator as its own process and the ServiceAccount of
 * deploy/rbac: the operator's CA (created once in its namespace), the serving certificate it issues for the names
 * of each Registry, the CA published in `<registry>-ca`, the pods set up for HTTPS, renewal of a certificate near
 * its end and on a change of names, and a referenced Secret instead (the ConfigMap goes, nothing is issued).
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { issueServingCertificate } from '../../../src/operator/tls/certificate.js';
import { CA_COMMON_NAME } from '../../../src/operator/registry/tls-plan.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startOperator, type OperatorProcess } from './helpers/operator-process.js';
import { applyCrds, OPERATOR_NAMESPACE, operatorKubeconfig } from './helpers/service-account.js';
import { waitFor } from './helpers/wait.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'team';
const DAY = 86_400_000;
const SVC = (name: string): string[] => [name, `${name}.${NS}`, `${name}.${NS}.svc`, `${name}.${NS}.svc.cluster.local`];
let cluster: Cluster;
let operator: OperatorProcess;

beforeAll(async () => {
  cluster = await startCluster();
  await applyCrds(cluster);
  const kubeconfig = await operatorKubeconfig(cluster);
  await cluster.kubectl(['create', 'namespace', NS]);
  // as in the chart: the operator's own namespace comes from the downward API
  operator = await startOperator(kubeconfig, ['--image', 'berth:test', '--resync-period', '2s'], { POD_NAMESPACE: OPERATOR_NAMESPACE });
}, 15 * 60_000);

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

async function apply(name: string, spec: object): Promise<void> {
  const manifest = { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace: NS }, spec };
  await cluster.kubectl(['apply', '--server-side', '--field-manager', 'test', '-f', '-'], { input: JSON.stringify(manifest) });
}

const get = (kind: string, name: string, ns = NS): Promise<Obj> => cluster.getJson([kind, name, '-n', ns]);
const exists = (kind: string, name: string): Promise<boolean> => get(kind, name).then(() => true, () => false);
const decode = (s: Obj, key: string): string => Buffer.from(s.data[key], 'base64').toString('utf8');
const servingCert = async (name: string): Promise<X509Certificate> => new X509Certificate(decode(await get('secret', `${name}-tls`), 'tls.crt'));

function converged(name: string, extra: (r: Obj) => boolean = () => true): Promise<Obj> {
  return waitFor(`status of ${name}`, async () => {
    const r = await get('registry', name);
    return r.status?.observedGeneration === r.metadata.generation && extra(r) ? r : undefined;
  }, 30_000);
}

const NODEPORT = { host: 'localhost:30501', service: { type: 'NodePort', nodePort: 30501 } };

describe('an operator-issued certificate (spec.tls: {})', () => {
  let ca: X509Certificate;

  test('the operator creates its CA, issues the certificate for the Registry, and publishes the CA', async () => {
    await apply('secure', { tls: {}, expose: NODEPORT });
    const r = await converged('secure', (x) => !!x.status?.tls?.notAfter);
    expect(r.status.url).toBe('https://localhost:30501');
    expect(r.status.tls).toEqual({ secretName: 'secure-tls', caConfigMap: 'secure-ca', notAfter: expect.any(String) });

    const caSecret = await get('secret', 'berth-ca', OPERATOR_NAMESPACE);
    expect(caSecret.type).toBe('kubernetes.io/tls');
    ca = new X509Certificate(decode(caSecret, 'tls.crt'));
    expect(ca.ca).toBe(true);
    expect((await get('configmap', 'secure-ca')).data['ca.crt']).toBe(decode(caSecret, 'tls.crt'));

    const secret = await get('secret', 'secure-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    const cert = new X509Certificate(decode(secret, 'tls.crt'));
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe([...SVC('secure').map((h) => `DNS:${h}`), 'DNS:localhost', 'IP Address:127.0.0.1'].join(', '));
    expect(() => createSecureContext({ cert: decode(secret, 'tls.crt'), key: decode(secret, 'tls.key') })).not.toThrow();
    expect(new Date(cert.validTo).getTime() - Date.now()).toBeGreaterThan(89 * DAY);
    expect(new Date(r.status.tls.notAfter)).toEqual(new Date(cert.validTo));
  });

  test('the pods mount the Secret, serve HTTPS from it, and are probed over HTTPS', async () => {
    const pod = (await get('deployment', 'secure')).spec.template.spec;
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tls', secret: expect.objectContaining({ secretName: 'secure-tls' }) }));
    const container = pod.containers[0];
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: 'tls', mountPath: '/etc/berth-tls' }));
    expect(container.readinessProbe.httpGet.scheme).toBe('HTTPS');
    expect(container.livenessProbe.httpGet.scheme).toBe('HTTPS');
    const config = parseYaml(decode(await get('secret', 'secure-config'), 'config.yaml'));
    expect(config.http).toMatchObject({ externalUrl: 'https://localhost:30501', tls: { certFile: '/etc/berth-tls/tls.crt', keyFile: '/etc/berth-tls/tls.key' } });
  });

  test('a certificate near its end is issued again, by the same CA', async () => {
    const caSecret = await get('secret', 'berth-ca', OPERATOR_NAMESPACE);
    const now = Date.now();
    const old = issueServingCertificate(
      { certPem: decode(caSecret, 'tls.crt'), keyPem: decode(caSecret, 'tls.key'), commonName: CA_COMMON_NAME },
      { commonName: 'old', hosts: [...SVC('secure'), 'localhost', '127.0.0.1'], notBefore: new Date(now - 89 * DAY), notAfter: new Date(now + DAY) },
    );
    const data = { 'tls.crt': Buffer.from(old.certPem).toString('base64'), 'tls.key': Buffer.from(old.keyPem).toString('base64') };
    await cluster.kubectl(['patch', 'secret', 'secure-tls', '-n', NS, '--type=merge', '-p', JSON.stringify({ data })]);
    const renewed = await waitFor('a renewed certificate', async () => {
      const cert = await servingCert('secure');
      return new Date(cert.validTo).getTime() - Date.now() > 89 * DAY ? cert : undefined;
    }, 30_000);
    expect(renewed.verify(ca.publicKey)).toBe(true);
    expect(renewed.serialNumber).not.toBe(new X509Certificate(old.certPem).serialNumber);
  });

  test('a new expose.host is a new certificate for it', async () => {
    await apply('secure', { tls: {}, expose: { ...NODEPORT, host: 'registry.example.com' } });
    const cert = await waitFor('the new names', async () => {
      const c = await servingCert('secure');
      return c.checkHost('registry.example.com') ? c : undefined;
    }, 30_000);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect((await converged('secure')).status.url).toBe('https://registry.example.com');
  });

  test('a second Registry is issued from the same CA; the CA Secret is not made again', async () => {
    const before = (await get('secret', 'berth-ca', OPERATOR_NAMESPACE)).metadata.resourceVersion;
    await apply('second', { tls: {} });
    await converged('second', (x) => !!x.status?.tls?.notAfter);
    const cert = await servingCert('second');
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(SVC('second').map((h) => `DNS:${h}`).join(', '));
    expect((await get('secret', 'berth-ca', OPERATOR_NAMESPACE)).metadata.resourceVersion).toBe(before);
  });
});

describe('a referenced Secret (spec.tls.secretName)', () => {
  test('the pods mount it; the operator issues nothing, and the CA ConfigMap goes', async () => {
    await apply('second', { tls: { secretName: 'from-cert-manager' } });
    const r = await converged('second', (x) => x.status?.tls?.secretName === 'from-cert-manager');
    expect(r.status.tls).toEqual({ secretName: 'from-cert-manager' });
    expect(r.status.url).toBe('https://second.team.svc:5000');
    await waitFor('the CA ConfigMap to go', async () => !(await exists('configmap', 'second-ca')), 30_000);
    const pod = (await get('deployment', 'second')).spec.template.spec;
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tls', secret: expect.objectContaining({ secretName: 'from-cert-manager' }) }));
    expect(await exists('secret', 'from-cert-manager')).toBe(false);
  });

  test('the CRD refuses spec.tls with expose.scheme http', async () => {
    await expect(apply('plain', { tls: {}, expose: { scheme: 'http' } })).rejects.toThrow(/spec.tls makes the pods serve HTTPS/);
  });
});
