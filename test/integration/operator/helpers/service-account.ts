/**
 * The operator's identity in tests: the ServiceAccount and RBAC from deploy/rbac, and a kubeconfig holding a
 * token of that ServiceAccount (TokenRequest API), so the operator runs with exactly the permissions it ships with.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../../../helpers/berth-process.js';
import type { Cluster } from './cluster.js';

export const OPERATOR_NAMESPACE = 'berth-system';
export const OPERATOR_SA = 'berth-operator';

/** Applies the CRDs. */
export async function applyCrds(cluster: Cluster): Promise<void> {
  await cluster.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'deploy', 'crds')]);
  await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/registries.berth.dev', 'crd/repositories.berth.dev']);
}

/** Applies deploy/rbac and returns the path of a kubeconfig authenticated as the operator's ServiceAccount. */
export async function operatorKubeconfig(cluster: Cluster): Promise<string> {
  await cluster.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'deploy', 'rbac')]);
  const token = (await cluster.kubectl(['create', 'token', OPERATOR_SA, '-n', OPERATOR_NAMESPACE, '--duration=24h'])).trim();
  const file = join(cluster.dir, 'operator.kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caData).toString('base64') } }],
    users: [{ name: OPERATOR_SA, user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: OPERATOR_SA, namespace: OPERATOR_NAMESPACE } }],
    'current-context': 'c',
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}
