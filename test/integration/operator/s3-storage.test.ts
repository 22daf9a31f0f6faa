/**
 * A Registry whose layers are in a bucket, against a real control plane (the operator as its own process with the
 * RBAC of deploy/rbac): the README's example (deploy/examples/registry-s3.yaml) gives a Deployment of two replicas
 * with no claim, the keys by reference from a Secret, and a PodDisruptionBudget that goes when the Registry is
 * scaled back to one; the API server refuses a spec with both a volume and a bucket.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../src/shared/registry-config.js';
import { REPO_ROOT } from '../../helpers/berth-process.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startOperator, type OperatorProcess } from './helpers/operator-process.js';
import { applyCrds, operatorKubeconfig } from './helpers/service-account.js';
import { waitFor } from './helpers/wait.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXAMPLE = join(REPO_ROOT, 'deploy/examples/registry-s3.yaml');
const NS = 'berth-system';
let cluster: Cluster;
let operator: OperatorProcess;

beforeAll(async () => {
  cluster = await startCluster();
  await applyCrds(cluster);
  const saKubeconfig = await operatorKubeconfig(cluster);
  // deploy/rbac creates berth-system, the example's namespace
  operator = await startOperator(saKubeconfig, ['--image', 'berth:test', '--resync-period', '2s']);
}, 15 * 60_000);

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

const get = (kind: string, name: string): Promise<Obj> => cluster.getJson([kind, name, '-n', NS]);
const exists = (kind: string, name: string): Promise<boolean> => get(kind, name).then(() => true, () => false);

describe('Registry.spec.storage.s3 (the README example)', () => {
  let deployment: Obj;

  beforeAll(async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', EXAMPLE]);
    deployment = await waitFor('the Deployment', () => get('deployment', 'registry').catch(() => undefined));
  });

  test('two replicas on any node: rolling updates, spread preferred, no data volume and no claim', async () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    const pod = deployment.spec.template.spec;
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['config', 'tmp']);
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(pod.nodeSelector).toBeUndefined();
    expect(await exists('pvc', 'registry-data')).toBe(false);
    const registry = await waitFor('status', async () => {
      const r = await get('registry', 'registry');
      return r.status?.observedGeneration === r.metadata.generation ? r : undefined;
    });
    expect(registry.status.claimName).toBeUndefined();
  });

  test('the keys reach the pods from the Secret by reference, never through the config', async () => {
    expect(deployment.spec.template.spec.containers[0].env).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'registry-s3', key: 'accessKeyId' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'registry-s3', key: 'secretAccessKey' } } },
    ]);
    const secret = await get('secret', 'registry-config');
    const config = parseConfig(parseYaml(Buffer.from(secret.data['config.yaml'], 'base64').toString('utf8')));
    expect(config.storage.driver).toBe('s3');
    expect(config.storage.s3).toMatchObject({ bucket: 'berth-layers', endpoint: 'http://minio.storage.svc:9000', forcePathStyle: true, prefix: 'registry' });
    expect(config.storage.s3).toMatchObject({ accessKeyIdFile: '', secretAccessKeyFile: '' });
  });

  test('a PodDisruptionBudget owned by the Registry while it has more than one replica, gone at one', async () => {
    const pdb = await waitFor('the PodDisruptionBudget', () => get('pdb', 'registry').catch(() => undefined));
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pdb.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Registry', name: 'registry', controller: true })]);

    await cluster.kubectl(['scale', 'registry/registry', '-n', NS, '--replicas=1']);
    await waitFor('the budget to go', async () => !(await exists('pdb', 'registry')));
    await waitFor('one replica', async () => (await get('deployment', 'registry')).spec.replicas === 1);
    await cluster.kubectl(['scale', 'registry/registry', '-n', NS, '--replicas=3']);
    await waitFor('the budget again', () => get('pdb', 'registry').catch(() => undefined));
  });
});

describe('what the API server refuses', () => {
  const manifest = (name: string, spec: string) =>
    `apiVersion: berth.dev/v1alpha1\nkind: Registry\nmetadata: { name: ${name}, namespace: ${NS} }\nspec: ${spec}\n`;

  test.each<[string, string, RegExp]>([
    ['a bucket and an existing claim', '{storage: {existingClaim: data, s3: {bucket: layers}}}', /storage\.s3 keeps the layers in a bucket, not on a volume/],
    ['a bucket and a storage class', '{storage: {storageClassName: fast, s3: {bucket: layers}}}', /storage\.s3 keeps the layers in a bucket, not on a volume/],
    ['two kinds of credentials', '{storage: {s3: {bucket: layers, credentialsSecret: {name: k}, webIdentity: {roleArn: r}}}}', /credentialsSecret or webIdentity, not both/],
    ['a public endpoint without redirects', '{storage: {s3: {bucket: layers, publicEndpoint: "https://s3.example.com"}}}', /publicEndpoint.*needs redirect: true/],
    ['two replicas on a ReadWriteOnce volume', '{replicas: 2}', /more than one replica needs shared storage: set spec\.storage\.s3/],
  ])('%s', async (_name, spec, message) => {
    await expect(cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: manifest('bad', spec) })).rejects.toThrow(message);
  });

  test('a Registry on a volume can move to a bucket (and its storage class may go with it)', async () => {
    await cluster.kubectl(['apply', '--server-side', '--field-manager', 'test', '-f', '-'], {
      input: manifest('moving', '{storage: {size: 20Gi, storageClassName: standard}}'),
    });
    await cluster.kubectl(['apply', '--server-side', '--field-manager', 'test', '-f', '-'], {
      input: manifest('moving', '{replicas: 2, storage: {size: 20Gi, s3: {bucket: layers}}}'),
    });
    const d = await waitFor('the Deployment in the bucket', async () => {
      const x = await get('deployment', 'moving').catch(() => undefined);
      return x?.spec.replicas === 2 ? x : undefined;
    });
    expect(d.spec.template.spec.volumes.map((v: Obj) => v.name)).toEqual(['config', 'tmp']);
    // the claim it had is kept (reclaimPolicy Retain): the operator never deletes layers
    expect(await exists('pvc', 'moving-data')).toBe(true);
  });
});

test('the example in the README is the file this test applies', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const spec = readFileSync(EXAMPLE, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n');
  expect(readme).toContain(spec.trim());
});
