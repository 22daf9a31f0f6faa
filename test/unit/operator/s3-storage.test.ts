import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../src/shared/registry-config.js';
import { planRegistry, type RegistryPlan } from '../../../src/operator/registry/plan.js';
import { buildDisruptionBudget } from '../../../src/operator/registry/build-disruption-budget.js';
import { deploymentStrategy } from '../../../src/operator/registry/build-deployment.js';
import { withDefaults, type Registry } from '../../../src/operator/registry/types.js';
import type { KubeObject } from '../../../src/kube/objects.js';
import { registry } from './registry-fixture.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BUCKET = { bucket: 'layers', endpoint: 'http://minio.storage.svc:9000', forcePathStyle: true };

function plan(spec: Registry['spec']): RegistryPlan {
  const r = planRegistry(registry(spec), { defaultImage: 'berth:1' });
  if (!r.ok) throw new Error(`unexpected: ${r.message}`);
  return r.plan;
}

const kinds = (p: RegistryPlan) => p.apply.map((a) => a.object.kind);
const removed = (p: RegistryPlan) => p.remove.map((r) => r.resource.kind);
const objectOf = (p: RegistryPlan, kind: string) => p.apply.find((a) => a.object.kind === kind)?.object as Obj | undefined;
const podOf = (p: RegistryPlan) => objectOf(p, 'Deployment')!.spec.template.spec;

function configYaml(p: RegistryPlan): string {
  const secret = objectOf(p, 'Secret') as KubeObject & { data: Record<string, string> };
  return Buffer.from(secret.data['config.yaml']!, 'base64').toString('utf8');
}

describe('spec.storage.s3: the objects', () => {
  test.each<[string, Registry['spec'], boolean, string[]]>([
    ['one replica on a volume: claim, no budget', {}, true, ['PodDisruptionBudget', 'Ingress', 'ConfigMap']],
    ['one replica in a bucket: no claim, no budget', { storage: { s3: BUCKET } }, false, ['PodDisruptionBudget', 'Ingress', 'ConfigMap']],
    ['three replicas in a bucket: a budget', { replicas: 3, storage: { s3: BUCKET } }, false, ['Ingress', 'ConfigMap']],
    ['two replicas on a ReadWriteMany volume: a claim and a budget', { replicas: 2, storage: { accessModes: ['ReadWriteMany'] } }, true, ['Ingress', 'ConfigMap']],
  ])('%s', (_name, spec, claim, toRemove) => {
    const p = plan(spec);
    expect(kinds(p).includes('PersistentVolumeClaim')).toBe(claim);
    expect(kinds(p).includes('PodDisruptionBudget')).toBe((spec?.replicas ?? 1) > 1);
    expect(removed(p)).toEqual(toRemove);
  });

  test('the budget lets one pod go at a time, selects the registry pods and is owned by the Registry', () => {
    const r = registry({ replicas: 2, storage: { s3: BUCKET } });
    const pdb = buildDisruptionBudget(r, withDefaults(r.spec)) as Obj;
    expect(pdb).toMatchObject({ apiVersion: 'policy/v1', metadata: { name: 'reg', namespace: 'team' } });
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(podOf(plan(r.spec)).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels);
    expect(pdb.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Registry', name: 'reg', controller: true })]);
    expect(buildDisruptionBudget(registry({}), withDefaults({}))).toBeUndefined();
  });
});

describe('spec.storage.s3: the pods', () => {
  test('no data volume; rolling updates; spread over nodes and zones, preferred (never required)', () => {
    const p = plan({ replicas: 2, storage: { s3: BUCKET } });
    const pod = podOf(p);
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['config', 'tmp']);
    expect(pod.containers[0].volumeMounts.map((m: Obj) => m.name)).toEqual(['config', 'tmp']);
    expect(objectOf(p, 'Deployment')!.spec.strategy.type).toBe('RollingUpdate');
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(pod.topologySpreadConstraints.map((c: Obj) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ]);
  });

  test.each<[string, Registry['spec'], Obj[]]>([
    ['keys from a Secret, by reference', { storage: { s3: { ...BUCKET, credentialsSecret: { name: 'keys' } } } }, [
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'keys', key: 'accessKeyId' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'keys', key: 'secretAccessKey' } } },
    ]],
    ['keys under other names', { storage: { s3: { ...BUCKET, credentialsSecret: { name: 'k', accessKeyIdKey: 'id', secretAccessKeyKey: 'sk' } } } }, [
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'k', key: 'id' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'k', key: 'sk' } } },
    ]],
    ['web identity: a role and the projected token', { storage: { s3: { bucket: 'layers', webIdentity: { roleArn: 'arn:aws:iam::1:role/r' } } } }, [
      { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::1:role/r' },
      { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/berth/s3/token' },
      { name: 'AWS_ROLE_SESSION_NAME', value: 'berth-registry' },
    ]],
    ['neither: the SDK default chain, nothing added', { storage: { s3: { bucket: 'layers' } } }, []],
  ])('credentials: %s', (_name, spec, env) => {
    const p = plan(spec);
    expect(podOf(p).containers[0].env).toEqual(env);
    // never in the rendered configuration
    expect(configYaml(p)).not.toMatch(/accessKeyId|secretAccessKey|AWS_/);
  });

  test('web identity mounts a token of the pods\' ServiceAccount for the audience', () => {
    const p = plan({ storage: { s3: { bucket: 'layers', webIdentity: { roleArn: 'arn:r', audience: 'minio' } } } });
    const volume = podOf(p).volumes.find((v: Obj) => v.name === 's3-identity');
    expect(volume.projected.sources).toEqual([{ serviceAccountToken: { audience: 'minio', expirationSeconds: 3600, path: 'token' } }]);
    expect(podOf(p).containers[0].volumeMounts).toContainEqual({ name: 's3-identity', mountPath: '/var/run/secrets/berth/s3', readOnly: true });
  });

  test('the rendered config points at the bucket and is valid input of parseConfig', () => {
    const p = plan({
      storage: { s3: { ...BUCKET, region: 'eu-west-1', prefix: 'prod/reg', redirect: true, publicEndpoint: 'https://s3.example.com', credentialsSecret: { name: 'k' } } },
    });
    const config = parseConfig(parseYaml(configYaml(p)));
    expect(config.storage.driver).toBe('s3');
    expect(config.storage.s3).toMatchObject({
      bucket: 'layers',
      region: 'eu-west-1',
      endpoint: 'http://minio.storage.svc:9000',
      forcePathStyle: true,
      prefix: 'prod/reg',
      redirect: true,
      publicEndpoint: 'https://s3.example.com',
      accessKeyIdFile: '',
      secretAccessKeyFile: '',
    });
  });

  test('deploymentStrategy: a bucket rolls like a ReadWriteMany volume', () => {
    expect(deploymentStrategy(['ReadWriteOnce'], true)).toEqual(deploymentStrategy(['ReadWriteMany']));
    expect(deploymentStrategy(['ReadWriteOnce'])).toEqual({ type: 'Recreate' });
  });
});

describe('spec.storage.s3: what the operator refuses (where the CRD was not updated)', () => {
  test.each<[string, Registry['spec']]>([
    ['a bucket and an existing claim', { storage: { s3: BUCKET, existingClaim: 'data' } }],
    ['a bucket and a storage class', { storage: { s3: BUCKET, storageClassName: 'fast' } }],
  ])('%s', (_name, spec) => {
    const r = planRegistry(registry(spec), { defaultImage: 'berth:1', existingClaim: { accessModes: ['ReadWriteOnce'] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/storage\.s3 keeps the layers in a bucket/);
  });

  test('two replicas in a bucket need no ReadWriteMany volume', () => {
    expect(planRegistry(registry({ replicas: 2, storage: { s3: BUCKET } }), { defaultImage: 'berth:1' }).ok).toBe(true);
  });
});
