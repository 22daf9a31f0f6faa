/**
 * The chart against Kubernetes 1.36 (the dev control plane of scripts/dev-cluster.sh, no node):
 * - every values combination, rendered by helm v3 and helm v4, passes kubeconform in strict mode against schemas
 *   generated offline from this API server's /openapi/v2 and from deploy/crds, and a server-side dry run;
 * - `helm install` creates the CRDs, RBAC and the operator Deployment (its pods stay Pending: there is no node),
 *   `helm upgrade` with changed values changes the Deployment, `helm uninstall` keeps the CRDs and the volume
 *   of a Registry the release created.
 */
import { startCluster, type Cluster } from '../operator/helpers/cluster.js';
import { startOperator } from '../operator/helpers/operator-process.js';
import { waitFor } from '../operator/helpers/wait.js';
import { CHART_DIR, HELMS, MATRIX, NAMESPACE, RELEASE, helm, parseObjects, removeTempDirs, type K8sObject } from './helpers/chart.js';
import { kubeconform, writeSchemas } from './helpers/kubeconform.js';

const CRDS = ['registries.berth.dev', 'repositories.berth.dev'];
let cluster: Cluster;
let schemaDir: string;

beforeAll(async () => {
  cluster = await startCluster();
  for (const ns of [NAMESPACE, 'team-a']) await cluster.kubectl(['create', 'namespace', ns]);
  schemaDir = await writeSchemas(JSON.parse(await cluster.kubectl(['get', '--raw', '/openapi/v2'])));
}, 15 * 60_000);

afterAll(async () => {
  await cluster?.stop();
  removeTempDirs();
});

const exists = async (args: string[]): Promise<boolean> =>
  cluster.kubectl(['get', ...args, '-o', 'name']).then(
    () => true,
    (err: Error) => {
      if (/NotFound|not found/.test(err.message)) return false;
      throw err;
    },
  );

test('the control plane is Kubernetes 1.36', async () => {
  const version = JSON.parse(await cluster.kubectl(['version', '-o', 'json'])).serverVersion;
  expect(`${version.major}.${version.minor}`).toBe('1.36');
});

describe.each(HELMS)('kubeconform, $label', ({ bin }) => {
  test.each(MATRIX)('$name: every object is valid against the 1.36 schemas and the CRDs', async ({ args }) => {
    const text = await helm(bin).templateText(args);
    const objects = parseObjects(text);
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor').length;
    const result = await kubeconform(schemaDir, text);
    expect({ code: result.code, summary: result.summary }).toEqual({
      code: 0,
      summary: { valid: objects.length - monitors, invalid: 0, errors: 0, skipped: monitors },
    });
  });
});

test('kubeconform with these schemas refuses a misspelt field, a wrong type and a Registry field the CRD lacks', async () => {
  const bad = [
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\nspec:\n  replica: 2\n  selector: { matchLabels: { a: b } }\n  template: { metadata: { labels: { a: b } }, spec: { containers: [{ name: c, image: i }] } }\n',
    'apiVersion: v1\nkind: Service\nmetadata: { name: x }\nspec: { ports: [{ port: "eighty" }] }\n',
    'apiVersion: berth.dev/v1alpha1\nkind: Registry\nmetadata: { name: x }\nspec: { storage: { sise: 1Gi } }\n',
  ];
  for (const doc of bad) {
    const result = await kubeconform(schemaDir, doc);
    expect({ doc, invalid: result.summary.invalid }).toEqual({ doc, invalid: 1 });
  }
});

describe.each(HELMS)('on the control plane, $label', ({ bin }) => {
  const h = helm(bin);
  const registries = JSON.stringify([{ name: 'registry', spec: { storage: { size: '1Gi' } } }]);

  afterAll(async () => {
    // The next Helm starts from a cluster without the CRDs, so its install must create them again.
    await cluster.kubectl(['delete', 'pvc', '--all', '-n', NAMESPACE, '--wait=false']).catch(() => undefined);
    await cluster.kubectl(['delete', 'crd', ...CRDS, '--ignore-not-found']);
  });

  test('helm install creates the CRDs, the RBAC, the ServiceAccount, the operator Deployment and the Registry', async () => {
    expect(await exists(['crd', CRDS[0]!])).toBe(false);
    const out = await h.run(['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--set-json', `registries=${registries}`, '--kubeconfig', cluster.kubeconfig]);
    // NOTES.txt: the next command is applying a Registry.
    expect(out).toMatch(/kubectl apply -f - <<'YAML'\n\s+apiVersion: berth.dev\/v1alpha1\n\s+kind: Registry/);
    for (const crd of CRDS) {
      const got = await cluster.getJson(['crd', crd]);
      expect(got.metadata.annotations?.['meta.helm.sh/release-name']).toBeUndefined(); // crds/ are not release objects
    }
    const rendered = await h.template(['--set-json', `registries=${registries}`]);
    for (const o of rendered.filter((x: K8sObject) => ['ClusterRole', 'Role'].includes(x.kind))) {
      const live = await cluster.getJson([o.kind.toLowerCase(), o.metadata.name, ...(o.kind === 'Role' ? ['-n', NAMESPACE] : [])]);
      expect(live.rules).toEqual(o.rules);
    }
    for (const kind of ['clusterrolebinding', 'serviceaccount', 'service']) {
      expect(await exists([kind, kind === 'service' ? 'berth-operator-metrics' : 'berth-operator', '-n', NAMESPACE])).toBe(true);
    }
    const deployment = await cluster.getJson(['deployment', 'berth-operator', '-n', NAMESPACE]);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.spec.serviceAccountName).toBe('berth-operator');
    const registry = await cluster.getJson(['registry', 'registry', '-n', NAMESPACE]);
    expect(registry.spec.storage.size).toBe('1Gi');
    // No node: the operator's pod is created (by the controller-manager) and stays Pending.
    const pods = await waitFor('the operator pod', async () => {
      const list = await cluster.getJson(['pods', '-n', NAMESPACE, '-l', 'app.kubernetes.io/component=operator']);
      return list.items.length > 0 && list.items;
    });
    expect(pods[0].status.phase).toBe('Pending');
  });

  test('every values combination passes a strict server-side dry run', async () => {
    for (const { name, args } of MATRIX) {
      const objects = (await h.template(args)).filter((o) => o.kind !== 'ServiceMonitor');
      const input = objects.map((o) => JSON.stringify(o)).join('\n---\n');
      await expect(
        cluster.kubectl(['apply', '--dry-run=server', '--server-side', '--force-conflicts', '--field-manager=chart-test', '--validate=strict', '-f', '-'], { input }),
      ).resolves.toContain(name === 'defaults' ? 'deployment.apps/berth-operator' : 'berth-operator');
    }
  });

  test('the operator (run here, there is no node) reconciles the Registry: its volume claim appears', async () => {
    const operator = await startOperator(cluster.kubeconfig, ['--image', 'ghcr.io/berth-dev/berth:test', '--watch-namespace', NAMESPACE]);
    try {
      await waitFor('the claim registry-data', () => exists(['pvc', 'registry-data', '-n', NAMESPACE]), 60_000, 250);
    } finally {
      await operator.stop();
    }
  });

  test('the documented CRD upgrade step applies, and helm upgrade with changed values changes the Deployment', async () => {
    const crds = await h.run(['show', 'crds', CHART_DIR]);
    await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: crds });
    await h.run([
      'upgrade', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--kubeconfig', cluster.kubeconfig,
      '--set-json', `registries=${registries}`, '--set', 'replicaCount=2,watchNamespace=team-a,image.tag=9.9.9',
    ]);
    const deployment = await cluster.getJson(['deployment', 'berth-operator', '-n', NAMESPACE]);
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/berth-dev/berth:9.9.9');
    expect(container.args).toEqual(expect.arrayContaining(['--watch-namespace=team-a', '--image=ghcr.io/berth-dev/berth:9.9.9']));
    expect((await cluster.getJson(['pdb', 'berth-operator', '-n', NAMESPACE])).spec.minAvailable).toBe(1);
    const status = JSON.parse(await h.run(['status', RELEASE, '--namespace', NAMESPACE, '--kubeconfig', cluster.kubeconfig, '-o', 'json']));
    expect(status.version).toBe(2);
  });

  test('helm uninstall removes the operator and its RBAC, keeps the CRDs and the Registry volume', async () => {
    await h.run(['uninstall', RELEASE, '--namespace', NAMESPACE, '--kubeconfig', cluster.kubeconfig]);
    await waitFor('the release objects to go', async () => !(await exists(['deployment', 'berth-operator', '-n', NAMESPACE])) && !(await exists(['registry', 'registry', '-n', NAMESPACE])));
    for (const gone of [['clusterrole', 'berth-operator'], ['clusterrolebinding', 'berth-operator-repositories'], ['serviceaccount', 'berth-operator', '-n', NAMESPACE]]) {
      expect(await exists(gone)).toBe(false);
    }
    for (const crd of CRDS) expect(await exists(['crd', crd])).toBe(true);
    const claim = await cluster.getJson(['pvc', 'registry-data', '-n', NAMESPACE]);
    expect(claim.metadata.deletionTimestamp).toBeUndefined();
    expect(claim.spec.resources.requests.storage).toBe('1Gi');
  });
});
