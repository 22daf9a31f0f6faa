/**
 * The environment of the Repository tests: a private control plane with the CRDs and deploy/rbac, the operator as
 * its own process with its ServiceAccount, a Registry `berth/reg` whose external host is a free loopback port,
 * and, on that port, a real `berth serve` started from exactly what the operator rendered: the config Secret, the
 * signing key Secret, and the policy Secret read through the API as the registry's own ServiceAccount (whose Role
 * allows that one Secret only). What a pod would have mounted is written to a temporary folder instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { startBerth, type BerthProcess } from '../../../helpers/berth-process.js';
import { startCluster, type Cluster } from './cluster.js';
import { startOperator, type OperatorProcess } from './operator-process.js';
import { applyCrds, operatorKubeconfig } from './service-account.js';
import { waitFor } from './wait.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const REGISTRY_NS = 'berth';
export const REGISTRY = 'reg';

export interface AccessEnv {
  cluster: Cluster;
  operator: OperatorProcess;
  /** The kubeconfig of the operator's ServiceAccount. */
  operatorKubeconfig: string;
  /** `127.0.0.1:PORT`: the Registry's spec.expose.host, where `berth serve` listens. */
  host: string;
  dir: string;
  /** (Re)starts the operator process with extra flags. */
  restartOperator(args?: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const secretText = (s: Obj, key: string): string => Buffer.from(s.data[key], 'base64').toString('utf8');

/** kubectl apply (server-side, as field manager "test") of any object. */
export async function applyObject(cluster: Cluster, obj: object): Promise<void> {
  await cluster.kubectl(['apply', '--server-side', '--field-manager', 'test', '--force-conflicts', '-f', '-'], { input: JSON.stringify(obj) });
}

export function repositoryManifest(namespace: string, name: string, spec: object, annotations: Record<string, string> = {}): object {
  return { apiVersion: 'berth.dev/v1alpha1', kind: 'Repository', metadata: { name, namespace, annotations }, spec: { registryRef: { name: REGISTRY, namespace: REGISTRY_NS }, ...spec } };
}

/** Starts everything up to a converged Registry (children and policy Secret written, the registry's identity made). */
export async function startAccessEnv(operatorArgs: string[] = []): Promise<AccessEnv> {
  const cluster = await startCluster();
  const dir = await mkdtemp(join(tmpdir(), 'berth-access-'));
  let operator: OperatorProcess | undefined;
  const stop = async (): Promise<void> => {
    await operator?.stop();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await applyCrds(cluster);
    const kubeconfig = await operatorKubeconfig(cluster);
    const host = `127.0.0.1:${await freePort()}`;
    await cluster.kubectl(['create', 'namespace', REGISTRY_NS]);
    operator = await startOperator(kubeconfig, ['--image', 'berth:test', ...operatorArgs]);
    const registry = { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name: REGISTRY, namespace: REGISTRY_NS }, spec: { expose: { host } } };
    await applyObject(cluster, registry);
    const names = [`secret/${REGISTRY}-policy`, `serviceaccount/${REGISTRY}-registry`, `rolebinding/${REGISTRY}-policy-reader`];
    await waitFor('the policy Secret and the registry ServiceAccount', () => cluster.kubectl(['get', ...names, '-n', REGISTRY_NS]).then(() => true));
    return {
      cluster,
      get operator() {
        return operator!;
      },
      operatorKubeconfig: kubeconfig,
      host,
      dir,
      async restartOperator(args = []) {
        await operator?.stop();
        operator = undefined;
        operator = await startOperator(kubeconfig, ['--image', 'berth:test', ...args]);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A kubeconfig holding a token of the ServiceAccount `namespace/name`. */
export async function serviceAccountKubeconfig(env: AccessEnv, namespace: string, name: string): Promise<string> {
  const token = (await env.cluster.kubectl(['create', 'token', name, '-n', namespace, '--duration=2h'])).trim();
  const file = join(env.dir, `${namespace}-${name}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: env.cluster.server, 'certificate-authority-data': Buffer.from(env.cluster.caData).toString('base64') } }],
    users: [{ name, user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: name, namespace } }],
    'current-context': 'c',
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}

/**
 * `berth serve` as a registry pod of `berth/reg` would run: the rendered config (only the signing key's path points
 * to where this test wrote the key, instead of the pod's mount, and what `edit` changes), authenticated as the
 * registry's ServiceAccount.
 */
export async function startRenderedRegistry(
  env: AccessEnv,
  opts: { storage?: string; edit?: (config: Obj) => Obj } = {},
): Promise<{ berth: BerthProcess; config: Obj; kubeconfig: string }> {
  const get = (name: string): Promise<Obj> => env.cluster.getJson(['secret', name, '-n', REGISTRY_NS]);
  const config = parseYaml(secretText(await get(`${REGISTRY}-config`), 'config.yaml')) as Obj;
  const keyFile = join(env.dir, 'signing-key.pem');
  await writeFile(keyFile, secretText(await get(`${REGISTRY}-signing-key`), 'signing-key.pem'), { mode: 0o600 });
  const file = join(env.dir, 'config.yaml');
  const edit = opts.edit ?? ((c: Obj) => c);
  await writeFile(file, stringify(edit({ ...config, auth: { ...config.auth, signingKeyFile: keyFile } })));
  const kubeconfig = await serviceAccountKubeconfig(env, REGISTRY_NS, `${REGISTRY}-registry`);
  const berth = await startBerth({ config: file, addr: env.host, storage: opts.storage, env: { KUBECONFIG: kubeconfig } });
  return { berth, config, kubeconfig };
}
