/**
 * The chart without a cluster, with helm v3 and helm v4: `helm lint --strict`, values.schema.json refusing typos,
 * one source for the CRDs and RBAC (deploy/), and what `helm template` renders for every values combination.
 * (Kubernetes schemas and the real API server: chart-cluster.test.ts. OCI push/pull: chart-oci.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../helpers/berth-process.js';
import { CHART_DIR, HELMS, MATRIX, NAMESPACE, SERVICE_MONITOR_API, TWO_REGISTRIES, helm, only, removeTempDirs, type K8sObject } from './helpers/chart.js';
import { isBinding, isRole, objectsIn, permissions } from './helpers/rbac.js';

const APP_VERSION = (parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;
const DEFAULT_IMAGE = `ghcr.io/berth-dev/berth:${APP_VERSION}`;

afterAll(removeTempDirs);

const container = (objects: K8sObject[]): K8sObject => only(objects, 'Deployment').spec.template.spec.containers[0];
const args = (objects: K8sObject[]): string[] => container(objects).args;

/** Roles for users and registry pods (not the operator), installed verbatim by templates/repository-roles.yaml. */
const ACCESS_ROLES = '40-repository-roles.yaml';

describe('one source of truth with deploy/', () => {
  const filesOf = (dir: string) => readdirSync(join(REPO_ROOT, dir)).filter((f) => f.endsWith('.yaml')).sort();

  test('charts/berth/crds holds exactly the files of deploy/crds, byte for byte (npm run chart:sync)', () => {
    expect(filesOf('charts/berth/crds')).toEqual(filesOf('deploy/crds'));
    for (const f of filesOf('deploy/crds')) {
      expect(readFileSync(join(CHART_DIR, 'crds', f), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'deploy/crds', f), 'utf8'));
    }
  });

  test('charts/berth/files/rbac holds every role file of deploy/rbac, byte for byte (npm run chart:sync)', () => {
    const roleFiles = filesOf('deploy/rbac').filter(
      (f) => f !== ACCESS_ROLES && /^kind: (Cluster)?Role$/m.test(readFileSync(join(REPO_ROOT, 'deploy/rbac', f), 'utf8')),
    );
    expect(filesOf('charts/berth/files/rbac')).toEqual(roleFiles);
    for (const f of roleFiles) {
      expect(readFileSync(join(CHART_DIR, 'files/rbac', f), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'deploy/rbac', f), 'utf8'));
    }
  });

  test('charts/berth/files/access holds the ready-made repository roles of deploy/rbac, byte for byte (never bound to the operator)', () => {
    expect(filesOf('charts/berth/files/access')).toEqual([ACCESS_ROLES]);
    expect(readFileSync(join(CHART_DIR, 'files/access', ACCESS_ROLES), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'deploy/rbac', ACCESS_ROLES), 'utf8'));
  });
});

describe.each(HELMS)('$label', ({ bin }) => {
  const h = helm(bin);

  test('helm lint --strict passes, with the defaults and with every value set', async () => {
    await h.run(['lint', '--strict', CHART_DIR]);
    await h.run(['lint', '--strict', CHART_DIR, ...MATRIX.find((m) => m.name === 'everything')!.args.filter((a) => a !== '--api-versions' && a !== SERVICE_MONITOR_API)]);
  });

  test.each([
    ['a misspelt key', ['--set', 'replicaCont=2'], /replicaCont/],
    ['a misspelt nested key', ['--set', 'metrics.serviceMonitor.enable=true'], /enable/],
    ['a wrong type', ['--set-string', 'replicaCount=two'], /replicaCount/],
    ['an unknown log level', ['--set', 'logLevel=verbose'], /logLevel/],
    ['a registry without a name', ['--set-json', 'registries=[{"spec":{}}]'], /name/],
    ['2 replicas without leader election', ['--set', 'replicaCount=2,leaderElection.enabled=false'], /leaderElection/],
  ])('values with %s are refused', async (_what, extra, message) => {
    await expect(h.template(extra)).rejects.toThrow(message);
  });

  test('the RBAC is deploy/rbac: the same roles by kind and name, the same permissions, bound to the ServiceAccount', async () => {
    const rendered = await h.template([]);
    const source = objectsIn(join(REPO_ROOT, 'deploy/rbac'));
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    expect(rendered.filter(isRole).map(key).sort()).toEqual(source.filter(isRole).map(key).sort());
    for (const role of source.filter(isRole)) {
      expect(permissions(only(rendered, role.kind, role.metadata.name).rules)).toEqual(permissions(role.rules));
    }
    const sa = only(source, 'ServiceAccount');
    expect(only(rendered, 'ServiceAccount').metadata).toMatchObject({ name: sa.metadata.name, namespace: sa.metadata.namespace });
    const strip = (b: K8sObject) => ({ kind: b.kind, name: b.metadata.name, namespace: b.metadata.namespace, roleRef: b.roleRef, subjects: b.subjects });
    expect(rendered.filter(isBinding).map(strip).sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind)))
      .toEqual(source.filter(isBinding).map(strip).sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind)));
    expect(container(rendered).args).toContain('--leader-elect');
  });

  test('defaults: one operator with leader election, the chart appVersion image for itself and for Registries', async () => {
    const objects = await h.template([]);
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    const c = container(objects);
    expect(c.image).toBe(DEFAULT_IMAGE);
    expect(c.args).toEqual(expect.arrayContaining(['operator', '--leader-elect', `--image=${DEFAULT_IMAGE}`, '--metrics-addr=0.0.0.0:8080']));
    expect(c.args.some((a: string) => a.startsWith('--watch-namespace'))).toBe(false);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.resources.requests).toBeDefined();
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(objects.filter((o) => ['PodDisruptionBudget', 'ServiceMonitor', 'Registry', 'CustomResourceDefinition'].includes(o.kind))).toEqual([]);
    const service = only(objects, 'Service');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(objects.every((o) => o.kind.startsWith('Cluster') || o.metadata.namespace === NAMESPACE)).toBe(true);
  });

  test('--include-crds renders deploy/crds unchanged (Helm installs them from crds/ before the templates)', async () => {
    const crds = (await h.template(['--include-crds'])).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds).toEqual(objectsIn(join(REPO_ROOT, 'deploy/crds')));
  });

  test('HA: 2 replicas and a PodDisruptionBudget over the operator pods', async () => {
    const objects = await h.template(['--set', 'replicaCount=2']);
    expect(only(objects, 'Deployment').spec.replicas).toBe(2);
    const pdb = only(objects, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: only(objects, 'Deployment').spec.selector.matchLabels } });
  });

  test('allowedImages becomes --allowed-images; absent by default (the operator then allows only --image)', async () => {
    expect(args(await h.template([])).some((a) => a.startsWith('--allowed-images'))).toBe(false);
    const set = args(await h.template(['--set-json', 'allowedImages=["ghcr.io/berth-dev/berth:*","registry.example/berth@sha256:*"]']));
    expect(set).toContain('--allowed-images=ghcr.io/berth-dev/berth:*,registry.example/berth@sha256:*');
  });

  test('watch-namespace is passed to the operator', async () => {
    expect(args(await h.template(['--set', 'watchNamespace=team-a']))).toContain('--watch-namespace=team-a');
  });

  test('a ServiceMonitor exists only when the cluster serves its API and it is not switched off', async () => {
    expect((await h.template([])).some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const objects = await h.template(['--api-versions', SERVICE_MONITOR_API]);
    const monitor = only(objects, 'ServiceMonitor');
    const service = only(objects, 'Service');
    expect(monitor.spec.selector.matchLabels).toEqual(expect.objectContaining(service.spec.selector));
    expect(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v)).toBe(true);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: service.spec.ports[0].name, path: '/metrics' })]);
    const off = await h.template(['--api-versions', SERVICE_MONITOR_API, '--set', 'metrics.serviceMonitor.enabled=false']);
    expect(off.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
  });

  test('the registries list becomes Registry resources, in the release namespace unless one is given', async () => {
    const objects = await h.template(['--set-json', `registries=${JSON.stringify(TWO_REGISTRIES)}`]);
    const registries = objects.filter((o) => o.kind === 'Registry');
    expect(registries.map((r) => [r.apiVersion, r.metadata.namespace, r.metadata.name, r.spec])).toEqual([
      ['berth.dev/v1alpha1', NAMESPACE, 'registry', TWO_REGISTRIES[0]!.spec],
      ['berth.dev/v1alpha1', 'team-a', 'shared', TWO_REGISTRIES[1]!.spec],
    ]);
  });

  test('everything set: digest-pinned image, a separate Registry image, scheduling constraints', async () => {
    const objects = await h.template(MATRIX.find((m) => m.name === 'everything')!.args);
    const pod = only(objects, 'Deployment').spec.template.spec;
    expect(pod.containers[0].image).toBe(`ghcr.io/berth-dev/berth@sha256:${'a'.repeat(64)}`);
    expect(pod.containers[0].args).toContain('--image=registry.example/berth:1.2.3');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.tolerations).toHaveLength(1);
    expect(pod.affinity.podAntiAffinity).toBeDefined();
    expect(only(objects, 'Deployment').spec.replicas).toBe(3);
  });
});

test.each(MATRIX)('helm v3 and helm v4 render the same objects: $name', async ({ args: extra }) => {
  const [v3, v4] = await Promise.all(HELMS.map(({ bin }) => helm(bin).template(extra)));
  expect(v4).toEqual(v3);
});
