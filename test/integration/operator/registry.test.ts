/**
 * The Registry controller against a real control plane: the operator runs as its own process, authenticated as
 * the ServiceAccount of deploy/rbac (not as an administrator), and everything is observed through kubectl.
 */
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../src/shared/registry-config.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { apiWrites, startOperator, type OperatorProcess } from './helpers/operator-process.js';
import { applyCrds, operatorKubeconfig } from './helpers/service-account.js';
import { sleep, waitFor } from './helpers/wait.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'team';
let cluster: Cluster;
let operator: OperatorProcess;
let saKubeconfig: string;

beforeAll(async () => {
  cluster = await startCluster();
  await applyCrds(cluster);
  saKubeconfig = await operatorKubeconfig(cluster);
  await cluster.kubectl(['create', 'namespace', NS]);
  operator = await startOperator(saKubeconfig, ['--image', 'berth:test', '--resync-period', '2s']);
}, 15 * 60_000);

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

async function apply(name: string, spec: object): Promise<void> {
  const manifest = { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace: NS }, spec };
  await cluster.kubectl(['apply', '--server-side', '--field-manager', 'test', '-f', '-'], { input: JSON.stringify(manifest) });
}

const get = (kind: string, name: string): Promise<Obj> => cluster.getJson([kind, name, '-n', NS]);
const exists = (kind: string, name: string): Promise<boolean> => get(kind, name).then(() => true, () => false);
const condition = (r: Obj, type: string): Obj | undefined => r.status?.conditions?.find((c: Obj) => c.type === type);
const secretText = (s: Obj, key: string): string => Buffer.from(s.data[key], 'base64').toString('utf8');

/** Waits until the operator has written status for the Registry's current generation. */
function converged(name: string, extra: (r: Obj) => boolean = () => true): Promise<Obj> {
  return waitFor(`status of ${name}`, async () => {
    const r = await get('registry', name);
    return r.status?.observedGeneration === r.metadata.generation && extra(r) ? r : undefined;
  });
}

/** Marks the registry pods Ready, as a kubelet would (this control plane has no nodes). */
async function markPodsReady(name: string): Promise<void> {
  const pods = await cluster.getJson(['pods', '-n', NS, '-l', `app.kubernetes.io/instance=${name}`]);
  for (const pod of pods.items as Obj[]) {
    const status = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } };
    await cluster.kubectl(['patch', 'pod', pod.metadata.name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  }
}

describe('the operator identity', () => {
  test.each<[string, string]>([
    ['patch deployments -A', 'yes'],
    ['create secrets -A', 'yes'],
    ['patch registries.berth.dev --subresource=status -A', 'yes'],
    ['delete deployments -A', 'no'],
    ['delete persistentvolumeclaims -A', 'no'],
    ['delete namespaces', 'no'],
    ['list pods -A', 'no'],
    ['update registries.berth.dev -A', 'no'],
    ['create pods -A', 'no'],
  ])('can-i %s: %s', async (what, answer) => {
    const allowed = await cluster.kubectl(['auth', 'can-i', '--quiet', ...what.split(' ')], { kubeconfig: saKubeconfig }).then(
      () => 'yes',
      () => 'no',
    );
    expect(allowed).toBe(answer);
  });
});

describe('a Registry and its children', () => {
  let registry: Obj;

  beforeAll(async () => {
    await apply('web', { expose: { host: 'registry.example.test' }, auth: { tokenTtl: '10m' } });
    registry = await converged('web');
  });

  test('Secrets: the config is valid for berth serve; signing key and empty policy exist; all owned', async () => {
    const config = parseConfig(parseYaml(secretText(await get('secret', 'web-config'), 'config.yaml')));
    expect(config.http).toMatchObject({ addr: '0.0.0.0:5000', externalUrl: 'http://registry.example.test' });
    expect(config.auth).toMatchObject({ service: 'registry.example.test', tokenTtlMs: 600_000 });
    expect(secretText(await get('secret', 'web-signing-key'), 'signing-key.pem')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(secretText(await get('secret', 'web-policy'), 'policy.yaml')).toMatch(/rules: \[\]/);
    for (const name of ['web-config', 'web-signing-key', 'web-policy']) {
      expect((await get('secret', name)).metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Registry', name: 'web', uid: registry.metadata.uid, controller: true }),
      ]);
    }
  });

  test('PVC: size and access mode from the defaults, no owner (kept on delete)', async () => {
    const pvc = await get('pvc', 'web-data');
    expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(pvc.spec.resources.requests.storage).toBe('10Gi');
    expect(pvc.metadata.ownerReferences).toBeUndefined();
  });

  test('Deployment: berth serve, probes, non-root, read-only root, Recreate, config hash; pods get created', async () => {
    const d = await get('deployment', 'web');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('berth:test');
    expect(c.args).toEqual(['serve', '--config', '/etc/berth/config.yaml']);
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.template.metadata.annotations['berth.dev/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    await waitFor('a registry pod', async () => (await cluster.getJson(['pods', '-n', NS, '-l', 'app.kubernetes.io/instance=web'])).items.length === 1);
  });

  test('Service: ClusterIP on 5000 selecting the registry pods', async () => {
    const s = await get('service', 'web');
    expect(s.spec.type).toBe('ClusterIP');
    expect(s.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 5000, targetPort: 'http' })]);
    expect(s.spec.selector).toEqual({ 'app.kubernetes.io/name': 'berth-registry', 'app.kubernetes.io/instance': 'web' });
  });

  test('status: observedGeneration, endpoint, conditions while no pod is ready', () => {
    expect(registry.status).toMatchObject({ observedGeneration: 1, endpoint: 'registry.example.test', url: 'http://registry.example.test', claimName: 'web-data' });
    expect(condition(registry, 'Available')).toMatchObject({ status: 'False', reason: 'NoReplicasAvailable', observedGeneration: 1 });
    expect(condition(registry, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(condition(registry, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });

  test('Events tell the user what was created', async () => {
    const events = await waitFor('Created events', async () => {
      const list = await cluster.getJson(['events', '-n', NS, '--field-selector', 'involvedObject.name=web,involvedObject.kind=Registry']);
      return list.items.length >= 5 ? (list.items as Obj[]) : undefined;
    });
    expect(events.map((e) => e.message)).toEqual(expect.arrayContaining(['created Deployment web', 'created Service web', 'created PersistentVolumeClaim web-data']));
  });

  test('pods becoming ready make it Available, with an Event', async () => {
    await markPodsReady('web');
    const r = await converged('web', (x) => condition(x, 'Available')?.status === 'True');
    expect(r.status.readyReplicas).toBe(1);
    expect(condition(r, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    expect(await cluster.kubectl(['get', 'registry', 'web', '-n', NS])).toMatch(/web\s+registry\.example\.test\s+1\s+1\s+True/);
  });

  test('a spec change rolls the Deployment and keeps the signing key', async () => {
    const before = await get('deployment', 'web');
    const key = (await get('secret', 'web-signing-key')).data;
    await apply('web', { expose: { host: 'registry.example.test' }, auth: { tokenTtl: '15m' } });
    const r = await converged('web');
    expect(r.status.observedGeneration).toBe(2);
    const after = await get('deployment', 'web');
    const hash = (d: Obj) => d.spec.template.metadata.annotations['berth.dev/config-hash'];
    expect(hash(after)).not.toBe(hash(before));
    expect(parseConfig(parseYaml(secretText(await get('secret', 'web-config'), 'config.yaml'))).auth?.tokenTtlMs).toBe(900_000);
    expect((await get('secret', 'web-signing-key')).data).toEqual(key);
    await waitFor('a second ReplicaSet', async () => (await cluster.getJson(['rs', '-n', NS, '-l', 'app.kubernetes.io/instance=web'])).items.length === 2);
  });
});

describe('exposure and scale', () => {
  test('an Ingress with TLS appears when enabled and goes when disabled', async () => {
    const expose = { host: 'ing.example.test', ingress: { enabled: true, className: 'nginx', tlsSecretName: 'ing-tls' } };
    await apply('ing', { expose });
    await converged('ing');
    const ingress = await waitFor('the Ingress', () => get('ingress', 'ing'));
    expect(ingress.spec.tls).toEqual([{ hosts: ['ing.example.test'], secretName: 'ing-tls' }]);
    expect(ingress.spec.rules[0]).toMatchObject({ host: 'ing.example.test' });
    expect((await get('registry', 'ing')).status.url).toBe('https://ing.example.test');
    await apply('ing', { expose: { ...expose, ingress: { ...expose.ingress, enabled: false } } });
    await waitFor('the Ingress to go', async () => !(await exists('ingress', 'ing')));
    await cluster.kubectl(['delete', 'registry', 'ing', '-n', NS]);
  });

  test('kubectl scale on a ReadWriteMany Registry scales its Deployment, which rolls instead of recreating', async () => {
    await apply('wide', { storage: { accessModes: ['ReadWriteMany'] } });
    await converged('wide');
    await cluster.kubectl(['scale', 'registry/wide', '-n', NS, '--replicas=3']);
    const d = await waitFor('3 replicas', async () => {
      const dep = await get('deployment', 'wide');
      return dep.spec.replicas === 3 ? dep : undefined;
    });
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const r = await converged('wide', (x) => x.status.replicas === 3);
    expect(r.status.selector).toBe('app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=wide');
    await cluster.kubectl(['delete', 'registry', 'wide', '-n', NS]);
  });
});

describe('drift is repaired', () => {
  beforeAll(async () => {
    await apply('drift', {});
    await converged('drift');
  });

  async function restoredWithin(what: string, ms: number, check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    await waitFor(what, async () => (await check()) || undefined, ms);
    return Date.now() - started;
  }

  test('a deleted Deployment comes back within seconds', async () => {
    const uid = (await get('deployment', 'drift')).metadata.uid;
    await cluster.kubectl(['delete', 'deployment', 'drift', '-n', NS, '--wait=false']);
    await restoredWithin('the Deployment', 5000, async () => (await get('deployment', 'drift').catch(() => ({ metadata: { uid } }))).metadata.uid !== uid);
  });

  test('a hand-edited Service port and a scaled Deployment are put back', async () => {
    await cluster.kubectl(['patch', 'service', 'drift', '-n', NS, '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/port","value":6000}]']);
    await cluster.kubectl(['scale', 'deployment', 'drift', '-n', NS, '--replicas=3']);
    await restoredWithin('the Service port', 5000, async () => (await get('service', 'drift')).spec.ports[0].port === 5000);
    await restoredWithin('the replicas', 5000, async () => (await get('deployment', 'drift')).spec.replicas === 1);
  });

  test('an edited or deleted config Secret is restored', async () => {
    const original = (await get('secret', 'drift-config')).data;
    await cluster.kubectl(['patch', 'secret', 'drift-config', '-n', NS, '--type=merge', '-p', '{"data":{"config.yaml":"aGFja2VkCg=="}}']);
    await restoredWithin('the edited config', 5000, async () => (await get('secret', 'drift-config')).data['config.yaml'] === original['config.yaml']);
    await cluster.kubectl(['delete', 'secret', 'drift-config', '-n', NS]);
    await restoredWithin('the deleted config', 5000, () => exists('secret', 'drift-config'));
  });

  test('fields the operator does not own (a user annotation) are left alone', async () => {
    await cluster.kubectl(['annotate', 'service', 'drift', '-n', NS, 'example.com/owner=platform']);
    await sleep(4500);
    expect((await get('service', 'drift')).metadata.annotations['example.com/owner']).toBe('platform');
  });
});

describe('an invalid spec', () => {
  test('a spec the API server refuses (requests above limits) is Degraded with its message, without a retry storm', async () => {
    const writesBefore = await apiWrites(operator);
    await apply('toobig', { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } });
    const r = await converged('toobig', (x) => condition(x, 'Degraded')?.status === 'True');
    expect(condition(r, 'Degraded')).toMatchObject({ reason: 'ApplyRejected' });
    expect(condition(r, 'Degraded')!.message).toMatch(/Deployment toobig was refused by the API server: .*must be less than or equal to cpu limit/);
    expect(condition(r, 'Progressing')).toMatchObject({ status: 'False', reason: 'Blocked' });
    const errorsBefore = await operator.metric('berth_operator_reconcile_errors_total');
    await sleep(6000);
    // Only the 2 s resync tries again (about 3 failed writes in 6 s); a retry loop would make hundreds. (The
    // pods' ServiceAccount, Role and RoleBinding, applied before the Deployment, are written once.)
    expect((await apiWrites(operator)) - writesBefore).toBeLessThan(30);
    expect(await operator.metric('berth_operator_reconcile_errors_total')).toBe(errorsBefore);
    await cluster.kubectl(['delete', 'registry', 'toobig', '-n', NS]);
  });

  test('two replicas on a ReadWriteOnce claim say what to fix; fixing the spec recovers', async () => {
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'rwo', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(claim) });
    await apply('pair', { replicas: 2, storage: { existingClaim: 'rwo' } });
    const r = await converged('pair', (x) => condition(x, 'Degraded')?.status === 'True');
    expect(condition(r, 'Degraded')).toMatchObject({ reason: 'InvalidSpec' });
    expect(condition(r, 'Degraded')!.message).toMatch(/spec\.replicas is 2 but the volume is not ReadWriteMany \(ReadWriteOnce\)/);
    expect(await exists('deployment', 'pair')).toBe(false);
    await apply('pair', { replicas: 1, storage: { existingClaim: 'rwo' } });
    const fixed = await converged('pair', (x) => condition(x, 'Degraded')?.status === 'False');
    expect(fixed.status.claimName).toBe('rwo');
    expect((await get('deployment', 'pair')).spec.template.spec.volumes[1].persistentVolumeClaim.claimName).toBe('rwo');
    await cluster.kubectl(['delete', 'registry', 'pair', '-n', NS]);
  });

  test('an image outside --allowed-images (default: the operator\'s own) is Degraded and its Deployment is left as it was (issue 9)', async () => {
    await apply('img', {});
    await waitFor('the Deployment', () => exists('deployment', 'img'));
    await apply('img', { image: 'evil.example/miner:1' });
    const r = await converged('img', (x) => condition(x, 'Degraded')?.status === 'True');
    expect(condition(r, 'Degraded')).toMatchObject({ reason: 'ImageNotAllowed' });
    expect(condition(r, 'Degraded')!.message).toMatch(/"evil\.example\/miner:1" is not allowed by the operator \(--allowed-images: berth:test\)/);
    await sleep(2500);
    expect((await get('deployment', 'img')).spec.template.spec.containers[0].image).toBe('berth:test');
    await cluster.kubectl(['delete', 'registry', 'img', '-n', NS]);
  });
});

describe('steady state', () => {
  test('once converged, resyncs (every 2 s) reconcile but write nothing', async () => {
    await waitFor('no Registry left to converge', async () => {
      const list = await cluster.getJson(['registries', '-n', NS]);
      return (list.items as Obj[]).every((r) => r.status?.observedGeneration === r.metadata.generation);
    });
    await sleep(2500);
    const writes = await apiWrites(operator);
    const reconciles = await operator.metric('berth_operator_reconciles_total');
    await sleep(6500);
    expect(await apiWrites(operator)).toBe(writes);
    expect(await operator.metric('berth_operator_reconciles_total')).toBeGreaterThanOrEqual(reconciles + 3);
  });
});

describe('deletion', () => {
  test('deleting a Registry removes its children through garbage collection and keeps the PVC', async () => {
    await cluster.kubectl(['delete', 'registry', 'web', '-n', NS]);
    for (const [kind, name] of [['deployment', 'web'], ['service', 'web'], ['secret', 'web-config'], ['secret', 'web-signing-key'], ['secret', 'web-policy']]) {
      await waitFor(`${kind} ${name} to be collected`, async () => !(await exists(kind!, name!)), 30_000);
    }
    expect(await exists('pvc', 'web-data')).toBe(true);
  });

  test('with reclaimPolicy Delete the PVC goes too', async () => {
    await apply('scratch', { storage: { reclaimPolicy: 'Delete' } });
    await converged('scratch');
    expect((await get('pvc', 'scratch-data')).metadata.ownerReferences).toHaveLength(1);
    await cluster.kubectl(['delete', 'registry', 'scratch', '-n', NS]);
    await waitFor('the PVC to be collected', async () => {
      const pvc = await get('pvc', 'scratch-data').catch(() => undefined);
      return pvc === undefined || pvc.metadata.deletionTimestamp !== undefined;
    }, 30_000);
  });
});
