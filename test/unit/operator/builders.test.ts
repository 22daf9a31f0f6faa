import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeployment, deploymentStrategy } from '../../../src/operator/registry/build-deployment.js';
import { buildClaim, buildIngress, buildService } from '../../../src/operator/registry/build-network.js';
import { buildPolicySecret, buildSigningKeySecret, generateSigningKey } from '../../../src/operator/registry/build-secrets.js';
import { withDefaults, type Registry } from '../../../src/operator/registry/types.js';
import { loadSigningKey } from '../../../src/registry/auth/keys.js';
import { parsePolicyText } from '../../../src/shared/policy-parse.js';
import { registry } from './registry-fixture.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function deployment(spec: Registry['spec'] = {}, modes: string[] = ['ReadWriteOnce']): Obj {
  return buildDeployment(registry(spec), withDefaults(spec), { image: 'berth:1', configHash: 'abc', volumeAccessModes: modes }) as Obj;
}

describe('buildDeployment', () => {
  test('runs berth serve with the rendered config, non-root, on a read-only root filesystem', () => {
    const d = deployment();
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(['serve', '--config', '/etc/berth/config.yaml']);
    expect(c.image).toBe('berth:1');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 5000, protocol: 'TCP' }]);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532 });
    expect(pod).toMatchObject({ serviceAccountName: 'reg-registry', automountServiceAccountToken: true });
  });

  test('probes hit /healthz and /readyz on the registry port', () => {
    const c = deployment().spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  test('mounts config, key and policy from Secrets, layers from the claim, and a writable /tmp', () => {
    const pod = deployment().spec.template.spec;
    const sources = pod.volumes[0].projected.sources.map((s: Obj) => [s.secret.name, s.secret.items[0].path]);
    expect(sources).toEqual([
      ['reg-config', 'config.yaml'],
      ['reg-signing-key', 'keys/signing-key.pem'],
      ['reg-policy', 'policy/policy.yaml'],
    ]);
    expect(pod.volumes[1]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'reg-data' } });
    expect(pod.containers[0].volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/etc/berth', '/var/lib/berth', '/tmp']);
  });

  test('the config hash is a pod template annotation, so a config change rolls the pods', () => {
    expect(deployment().spec.template.metadata.annotations).toEqual({ 'berth.dev/config-hash': 'abc' });
  });

  test('spec fields reach the pod: replicas, resources, pull secrets, node selector, tolerations', () => {
    const d = deployment(
      {
        replicas: 2,
        resources: { limits: { memory: '1Gi' } },
        imagePullSecrets: [{ name: 'pull' }],
        nodeSelector: { disk: 'ssd' },
        tolerations: [{ key: 'k', operator: 'Exists' }],
      },
      ['ReadWriteMany'],
    );
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.containers[0].resources).toEqual({ limits: { memory: '1Gi' } });
    expect(pod.imagePullSecrets).toEqual([{ name: 'pull' }]);
    expect(pod.nodeSelector).toEqual({ disk: 'ssd' });
    expect(pod.tolerations).toEqual([{ key: 'k', operator: 'Exists' }]);
  });

  test('owned by the Registry, labelled for the operator, selector stable', () => {
    const d = deployment();
    expect(d.metadata.ownerReferences).toEqual([
      { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', name: 'reg', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
    expect(d.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'berth-operator', 'berth.dev/registry': 'reg' });
    expect(d.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'berth-registry', 'app.kubernetes.io/instance': 'reg' });
  });
});

describe('deploymentStrategy', () => {
  test.each<[string[], string]>([
    [['ReadWriteOnce'], 'Recreate'],
    [['ReadWriteOncePod'], 'Recreate'],
    [[], 'Recreate'],
    [['ReadWriteOnce', 'ReadWriteMany'], 'RollingUpdate'],
  ])('%j → %s', (modes, type) => {
    expect(deploymentStrategy(modes).type).toBe(type);
  });
});

describe('buildService', () => {
  test.each<[Registry['spec'], Obj]>([
    [{}, { type: 'ClusterIP', ports: [{ name: 'http', port: 5000, targetPort: 'http', protocol: 'TCP' }] }],
    [
      { expose: { service: { type: 'NodePort', port: 80, nodePort: 30500 } } },
      { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30500 }] },
    ],
  ])('%j', (spec, expected) => {
    const s = buildService(registry(spec), withDefaults(spec)) as Obj;
    expect(s.spec).toMatchObject(expected);
    expect(s.spec.selector).toEqual({ 'app.kubernetes.io/name': 'berth-registry', 'app.kubernetes.io/instance': 'reg' });
  });
});

describe('buildIngress', () => {
  test('routes the host (without port) to the Service, with TLS and annotations', () => {
    const spec = { expose: { host: 'r.example.com:443', ingress: { enabled: true, className: 'nginx', tlsSecretName: 'tls', annotations: { a: 'b' } } } };
    const i = buildIngress(registry(spec), withDefaults(spec)) as Obj;
    expect(i.metadata.annotations).toEqual({ a: 'b' });
    expect(i.spec.ingressClassName).toBe('nginx');
    expect(i.spec.rules[0].host).toBe('r.example.com');
    expect(i.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: 'reg', port: { name: 'http' } } });
    expect(i.spec.tls).toEqual([{ hosts: ['r.example.com'], secretName: 'tls' }]);
  });

  test('none when not enabled', () => {
    expect(buildIngress(registry({}), withDefaults({}))).toBeUndefined();
  });
});

describe('buildClaim', () => {
  test.each<[string, Registry['spec'], boolean]>([
    ['kept by default: no owner reference', {}, false],
    ['reclaimPolicy Delete: owned, so deleted with the Registry', { storage: { reclaimPolicy: 'Delete' } }, true],
  ])('%s', (_n, spec, owned) => {
    const c = buildClaim(registry(spec), withDefaults(spec)) as Obj;
    expect(c.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
    expect(c.metadata.ownerReferences !== undefined).toBe(owned);
    expect(c.metadata.labels['berth.dev/registry']).toBe('reg');
  });

  test('storage class and size from the spec; none with an existing claim', () => {
    const spec = { storage: { size: '1Ti', storageClassName: 'fast' } };
    expect((buildClaim(registry(spec), withDefaults(spec)) as Obj).spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '1Ti' } } });
    expect(buildClaim(registry({ storage: { existingClaim: 'x' } }), withDefaults({ storage: { existingClaim: 'x' } }))).toBeUndefined();
  });
});

describe('Secrets the registry reads', () => {
  test('the generated signing key is one the registry loads (ES256)', async () => {
    const secret = buildSigningKeySecret(registry(), withDefaults({}), generateSigningKey()) as Obj;
    const pem = Buffer.from(secret.data['signing-key.pem'], 'base64').toString('utf8');
    const dir = await mkdtemp(join(tmpdir(), 'berth-key-'));
    await writeFile(join(dir, 'k.pem'), pem);
    const { key, created } = await loadSigningKey(join(dir, 'k.pem'), false);
    expect(created).toBe(false);
    expect(key.alg).toBe('ES256');
  });

  test('two generated keys differ', () => {
    expect(generateSigningKey()).not.toBe(generateSigningKey());
  });

  test('the initial policy is an empty policy the registry parses', () => {
    const secret = buildPolicySecret(registry(), withDefaults({})) as Obj;
    const text = Buffer.from(secret.data['policy.yaml'], 'base64').toString('utf8');
    expect(parsePolicyText(text).policy).toEqual({ users: [], robots: [], rules: [], catalog: [] });
    expect(secret.metadata.name).toBe('reg-policy');
  });
});
