import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../src/shared/registry-config.js';
import { planRegistry, type PlanInputs, type RegistryPlan } from '../../../src/operator/registry/plan.js';
import type { KubeObject } from '../../../src/kube/objects.js';
import type { Registry } from '../../../src/operator/registry/types.js';
import { registry } from './registry-fixture.js';

const inputs: PlanInputs = { defaultImage: 'berth:1' };

function plan(spec: Registry['spec'], more: Partial<PlanInputs> = {}): RegistryPlan {
  const r = planRegistry(registry(spec), { ...inputs, ...more });
  if (!r.ok) throw new Error(`unexpected: ${r.message}`);
  return r.plan;
}

function kinds(p: RegistryPlan): string[] {
  return p.apply.map((a) => `${a.object.kind}/${a.object.metadata.name}`);
}

function configOf(p: RegistryPlan): unknown {
  const secret = p.apply.find((a) => a.object.kind === 'Secret')!.object as KubeObject & { data: Record<string, string> };
  return parseYaml(Buffer.from(secret.data['config.yaml']!, 'base64').toString('utf8'));
}

describe('planRegistry: which children', () => {
  test('defaults: config and policy Secrets, report ConfigMap, the pods\' identity, claim, Service, Deployment; no Ingress (removed if present)', () => {
    const p = plan({});
    expect(kinds(p)).toEqual([
      'Secret/reg-config',
      'Secret/reg-policy',
      'ConfigMap/reg-report',
      'ServiceAccount/reg-registry',
      'Role/reg-policy-reader',
      'RoleBinding/reg-policy-reader',
      'PersistentVolumeClaim/reg-data',
      'Service/reg',
      'Deployment/reg',
    ]);
    expect(p.create.map((c) => c.name)).toEqual(['reg-signing-key', 'reg-policy']);
    expect(p.remove.map((r) => `${r.resource.kind}/${r.name}`)).toEqual(['PodDisruptionBudget/reg', 'Ingress/reg', 'ConfigMap/reg-ca']);
    expect(p.endpoint).toEqual({ host: 'reg.team.svc:5000', url: 'http://reg.team.svc:5000' });
  });

  test('an existing claim replaces the one the operator would create', () => {
    const p = plan({ storage: { existingClaim: 'layers' } }, { existingClaim: { accessModes: ['ReadWriteOnce'] } });
    expect(kinds(p)).not.toContain('PersistentVolumeClaim/reg-data');
    expect(p.names.claim).toBe('layers');
  });

  test('an enabled ingress with TLS is applied and makes the URL https', () => {
    const p = plan({ expose: { host: 'registry.example.com', ingress: { enabled: true, tlsSecretName: 'tls' } } });
    expect(kinds(p)).toContain('Ingress/reg');
    expect(p.remove.map((r) => r.resource.kind)).toEqual(['PodDisruptionBudget', 'ConfigMap']);
    expect(p.endpoint.url).toBe('https://registry.example.com');
  });
});

describe('planRegistry: the rendered config is valid input of parseConfig', () => {
  test.each<[string, Registry['spec']]>([
    ['defaults', {}],
    ['host with port and a long token lifetime', { expose: { host: '10.0.0.5:30500' }, auth: { tokenTtl: '1h30m' } }],
    ['https ingress, debug logs', { logLevel: 'debug', expose: { host: 'r.example.com', ingress: { enabled: true, tlsSecretName: 't' } } }],
    ['explicit scheme', { expose: { host: 'r.example.com', scheme: 'https' } }],
  ])('%s', (_name, spec) => {
    const config = parseConfig(configOf(plan(spec)));
    expect(config.http.addr).toBe('0.0.0.0:5000');
    expect(config.storage.root).toBe('/var/lib/berth');
    expect(config.auth?.signingKeyFile).toBe('/etc/berth/keys/signing-key.pem');
    expect(config.auth?.policyFile).toBe('/etc/berth/policy/policy.yaml');
    expect(config.auth?.policySecret).toEqual({ namespace: 'team', name: 'reg-policy', key: 'policy.yaml' });
    expect(config.report).toEqual({ configMap: { namespace: 'team', name: 'reg-report' }, minIntervalMs: 10_000 });
    expect(config.auth?.service).toBe(plan(spec).endpoint.host);
    expect(config.http.externalUrl).toBe(plan(spec).endpoint.url);
  });

  test('the report ConfigMap: labelled as a child, owned by the Registry, with no data of the operator (the pods write it)', () => {
    const cm = plan({}).apply.find((a) => a.object.kind === 'ConfigMap')!.object as KubeObject & { data?: unknown };
    expect(cm.metadata.labels).toMatchObject({ 'berth.dev/registry': 'reg', 'app.kubernetes.io/managed-by': 'berth-operator' });
    expect(cm.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Registry', name: 'reg', controller: true });
    expect(cm.data).toBeUndefined();
  });

  test('trustProxy is set exactly when the operator puts its Ingress in front (issue 9)', () => {
    const behind = parseConfig(configOf(plan({ expose: { host: 'reg.example.com', ingress: { enabled: true } } })));
    expect(behind.http.trustProxy).toBe(true);
    expect(parseConfig(configOf(plan({ expose: { host: 'reg.example.com' } }))).http.trustProxy).toBe(false);
    expect(parseConfig(configOf(plan({}))).http.trustProxy).toBe(false);
  });

  test('the token lifetime and log level come from the spec', () => {
    const config = parseConfig(configOf(plan({ auth: { tokenTtl: '15m' }, logLevel: 'warn' })));
    expect(config.auth?.tokenTtlMs).toBe(15 * 60_000);
    expect(config.log.level).toBe('warn');
  });
});

describe('planRegistry: problems the schema cannot see', () => {
  test.each<[string, Registry['spec'], Partial<PlanInputs>, string, RegExp]>([
    ['no image anywhere', {}, { defaultImage: undefined }, 'InvalidSpec', /spec\.image is empty.*--image/],
    ['missing existing claim', { storage: { existingClaim: 'nope' } }, { existingClaim: null }, 'ClaimNotFound', /"nope".*does not exist/],
    [
      'two replicas on a ReadWriteOnce existing claim',
      { replicas: 2, storage: { existingClaim: 'rwo' } },
      { existingClaim: { accessModes: ['ReadWriteOnce'] } },
      'InvalidSpec',
      /replicas is 2.*not ReadWriteMany \(ReadWriteOnce\)/,
    ],
    ['two replicas on the default volume', { replicas: 2 }, {}, 'InvalidSpec', /ReadWriteMany/],
    ['token lifetime below a minute', { auth: { tokenTtl: '30s' } }, {}, 'InvalidSpec', /tokenTtl "30s".*at least 60s/],
    ['ingress without host', { expose: { ingress: { enabled: true } } }, {}, 'InvalidSpec', /needs spec\.expose\.host/],
    ['an image other than the operator\'s own (issue 9)', { image: 'evil.example/miner:1' }, { defaultImage: 'berth:1' }, 'ImageNotAllowed', /"evil\.example\/miner:1" is not allowed.*--allowed-images: berth:1/],
    ['an image outside --allowed-images', { image: 'evil.example/miner:1' }, { allowedImages: ['ghcr.io/berth/*'] }, 'ImageNotAllowed', /not allowed/],
  ])('%s', (_name, spec, more, reason, message) => {
    const r = planRegistry(registry(spec), { ...inputs, ...more });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    expect(r.message).toMatch(message);
  });

  test('two replicas on a ReadWriteMany existing claim are fine', () => {
    const p = plan({ replicas: 2, storage: { existingClaim: 'shared' } }, { existingClaim: { accessModes: ['ReadWriteMany'] } });
    expect(kinds(p)).toContain('Deployment/reg');
  });
});
