/**
 * The fleet phase: Registries in namespaces of their own (as teams run them), each reconciled by the operator into
 * its Secrets, report ConfigMap, ServiceAccount, Role, RoleBinding, claim, Service and Deployment. No pod runs
 * (the local control plane has no kubelet); a Registry has converged when its status is written for its generation.
 */
import type { ControlPlane } from './control-plane.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const pad = (n: number): string => String(n).padStart(3, '0');

/** `count` Registries (and their namespaces) besides the benchmark's own one. */
export function fleetObjects(count: number): Obj[] {
  const list: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const ns = `fleet-${pad(i)}`;
    list.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    list.push({ apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name: 'registry', namespace: ns }, spec: { expose: { host: `${ns}.bench.test:5000` } } });
  }
  return list;
}

/** How many Registries have a status written for their current generation. */
export async function convergedRegistries(cp: ControlPlane): Promise<{ total: number; converged: number }> {
  const list = JSON.parse(await cp.kubectl(['get', 'registries', '-A', '-o', 'json'])) as { items: Obj[] };
  const converged = list.items.filter((r) => r.status?.observedGeneration === r.metadata.generation && (r.status?.conditions?.length ?? 0) > 0).length;
  return { total: list.items.length, converged };
}
