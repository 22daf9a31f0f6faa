/**
 * The CRDs on a real API server: they install, every example applies, and invalid resources are refused by the
 * schema or a CEL rule with a message that says what is wrong.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/berth-process.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { applyCrds } from './helpers/service-account.js';
import { waitFor } from './helpers/wait.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
  await applyCrds(cluster);
  for (const ns of ['berth-system', 'team-a']) await cluster.kubectl(['create', 'namespace', ns]);
}, 15 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function registry(name: string, spec: string): string {
  return `apiVersion: berth.dev/v1alpha1\nkind: Registry\nmetadata: { name: ${name}, namespace: default }\nspec: ${spec}\n`;
}

function repository(name: string, spec: string): string {
  return `apiVersion: berth.dev/v1alpha1\nkind: Repository\nmetadata: { name: ${name}, namespace: default }\nspec: ${spec}\n`;
}

describe('CRDs on a real API server', () => {
  // Every YAML file under deploy/examples and examples/ that holds a berth.dev custom resource.
  const examples = ['deploy/examples', 'examples']
    .flatMap((dir) => {
      try {
        return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(REPO_ROOT, dir, f));
      } catch {
        return [];
      }
    })
    .filter((f) => /\.ya?ml$/.test(f) && /^apiVersion: berth\.dev\//m.test(readFileSync(f, 'utf8')))
    .sort();

  test('there are examples of both kinds', () => {
    expect(examples.some((f) => f.includes('registry'))).toBe(true);
    expect(examples.some((f) => f.includes('repository'))).toBe(true);
  });

  test.each(examples.map((f) => [f.slice(REPO_ROOT.length + 1), f]))('example %s applies server-side', async (_name, file) => {
    const out = await cluster.kubectl(['apply', '--server-side', '-f', file]);
    expect(out).toMatch(/serverside-applied/);
    // Several Registry examples are alternatives of one Registry (berth-system/registry, which repository.yaml
    // refers to): each goes before the next is applied.
    if (/^kind: Registry$/m.test(readFileSync(file, 'utf8'))) await cluster.kubectl(['delete', '-f', file, '--wait=false']);
  });

  test('defaults are filled in by the API server', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: registry('defaults', '{}') });
    const r = await cluster.getJson(['registry', 'defaults', '-n', 'default']);
    expect(r.spec).toEqual({
      replicas: 1,
      imagePullPolicy: 'IfNotPresent',
      logLevel: 'info',
      storage: { size: '10Gi', accessModes: ['ReadWriteOnce'], reclaimPolicy: 'Retain' },
      expose: { service: { type: 'ClusterIP', port: 5000 } },
      auth: { tokenTtl: '5m' },
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    });
  });

  test('short names, the category and printer columns work', async () => {
    expect(await cluster.kubectl(['get', 'breg', '-n', 'default'])).toMatch(/NAME\s+ENDPOINT\s+READY\s+REPLICAS\s+AVAILABLE\s+AGE/);
    expect(await cluster.kubectl(['get', 'berth', '-A', '-o', 'name'])).toMatch(/repository\.berth\.dev\/api/);
    // The API server publishes a new CRD's OpenAPI schema a few seconds after the CRD is established.
    const explained = await waitFor('kubectl explain', () => cluster.kubectl(['explain', 'registry.spec.storage.reclaimPolicy']), 30_000, 500);
    expect(explained).toMatch(/Retain \(the\s+default\) keeps it/);
  });

  test.each<[string, string, RegExp]>([
    ['two replicas on ReadWriteOnce', registry('bad', '{replicas: 2}'), /spec\.replicas: Forbidden: more than one replica needs shared storage/],
    ['replicas below zero', registry('bad', '{replicas: -1}'), /spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0/],
    ['token lifetime below a minute', registry('bad', '{auth: {tokenTtl: 10s}}'), /auth\.tokenTtl must be at least 60s/],
    ['token lifetime not a duration', registry('bad', '{auth: {tokenTtl: soon}}'), /spec\.auth\.tokenTtl in body should match/],
    ['negative size', registry('bad', '{storage: {size: "-1Gi"}}'), /storage\.size must be a positive quantity/],
    ['size that is no quantity', registry('bad', '{storage: {size: lots}}'), /storage\.size must be a positive quantity/],
    ['unknown access mode', registry('bad', '{storage: {accessModes: [ReadMostly]}}'), /Unsupported value: "ReadMostly"/],
    ['storage class with an existing claim', registry('bad', '{storage: {existingClaim: c, storageClassName: fast}}'), /storageClassName applies only to a claim the operator creates/],
    ['ingress without host', registry('bad', '{expose: {ingress: {enabled: true}}}'), /spec\.expose\.host: Required value: expose\.ingress\.enabled needs expose\.host/],
    ['node port on ClusterIP', registry('bad', '{expose: {service: {nodePort: 30001}}}'), /nodePort needs type NodePort or LoadBalancer/],
    ['host with an underscore', registry('bad', '{expose: {host: bad_host}}'), /spec\.expose\.host in body should match/],
    ['unknown service type', registry('bad', '{expose: {service: {type: External}}}'), /Unsupported value: "External"/],
    ['repository path with upper case', repository('bad', '{registryRef: {name: r}, path: Team/Api}'), /spec\.path in body should match/],
    ['repository without a path', repository('bad', '{registryRef: {name: r}}'), /spec\.path: Required value/],
    ['pull secret without namespaces', repository('bad', '{registryRef: {name: r}, path: a/b, pullSecret: {serviceAccounts: [default]}}'), /pullSecret needs namespaces, a namespaceSelector, or both/],
    ['overlap longer than the interval', repository('bad', '{registryRef: {name: r}, path: a/b, rotation: {interval: 1h, overlap: 2h}}'), /rotation\.overlap must be shorter than rotation\.interval/],
    ['access rule without principals', repository('bad', '{registryRef: {name: r}, path: a/b, access: [{actions: [pull]}]}'), /an access rule needs robots or users/],
    ['unknown visibility', repository('bad', '{registryRef: {name: r}, path: a/b, visibility: Secret}'), /Unsupported value: "Secret"/],
    ['a user name with a space (issue 9)', repository('bad', '{registryRef: {name: r}, path: a/b, access: [{users: ["evil user"], actions: [pull]}]}'), /spec\.access\[0\]\.users\[0\] in body should match/],
    ['a robot name with a colon (issue 9)', repository('bad', '{registryRef: {name: r}, path: a/b, access: [{robots: ["a:b"], actions: [pull]}]}'), /spec\.access\[0\]\.robots\[0\] in body should match/],
    ['a delivery grant to no namespace (issue 9)', registry('bad', '{tenancy: {pullSecretGrants: [{namespaces: [a], targetNamespaces: []}]}}'), /targetNamespaces: Invalid value: 0: .*should have at least 1 items/],
  ])('refused: %s', async (_name, manifest, message) => {
    await expect(cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: manifest })).rejects.toThrow(message);
  });

  test.each<[string, string, string, RegExp]>([
    ['the volume cannot shrink', '{storage: {size: 10Gi}}', '{storage: {size: 5Gi}}', /storage\.size cannot shrink/],
    ['the storage class cannot change', '{storage: {storageClassName: a}}', '{storage: {storageClassName: b}}', /storageClassName cannot change/],
    ['access modes cannot change', '{storage: {accessModes: [ReadWriteOnce]}}', '{storage: {accessModes: [ReadWriteMany]}}', /accessModes cannot change/],
  ])('refused on update: %s', async (_name, before, after, message) => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: registry('upd', before) });
    await expect(cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: registry('upd', after) })).rejects.toThrow(message);
    await cluster.kubectl(['delete', 'registry', 'upd', '-n', 'default']);
  });

  test('kubectl scale goes through the scale subresource and the CEL rule still applies', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: registry('scaled', '{storage: {accessModes: [ReadWriteMany]}}') });
    await cluster.kubectl(['scale', 'registry/scaled', '-n', 'default', '--replicas=3']);
    expect((await cluster.getJson(['registry', 'scaled', '-n', 'default'])).spec.replicas).toBe(3);
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: registry('rwo', '{}') });
    await expect(cluster.kubectl(['scale', 'registry/rwo', '-n', 'default', '--replicas=2'])).rejects.toThrow(/more than one replica needs shared storage/);
  });
});
