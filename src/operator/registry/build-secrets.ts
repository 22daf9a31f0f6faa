/**
 * The Secrets of a Registry: its configuration (applied on every change), its token signing key (created once,
 * never regenerated) and its access policy Secret (this controller applies the object, labels and owner; it puts
 * an empty policy in only when creating it, and the access controller owns the content from then on).
 */
import { generateKeyPairSync } from 'node:crypto';
import { emptyPolicy } from '../../shared/policy.js';
import { renderPolicy } from '../../shared/policy-render.js';
import type { KubeObject } from '../../kube/objects.js';
import { SECRET_KEYS } from './config-render.js';
import { childLabels, childNames, ownerReference } from './naming.js';
import type { Registry, RegistrySpec } from './types.js';

/** An empty access policy (nobody may log in, nothing is allowed) until Repositories add rules. */
export function emptyPolicyYaml(): string {
  return renderPolicy(emptyPolicy(), 'berth access policy, written by the Berth operator');
}

function secret(registry: Registry, name: string, component: string, data: Record<string, string> | undefined): KubeObject {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: registry.metadata.namespace,
      labels: childLabels(registry.metadata.name, component),
      ownerReferences: [ownerReference(registry)],
    },
    type: 'Opaque',
  };
  if (data) object.data = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
  return object;
}

export function buildConfigSecret(registry: Registry, spec: RegistrySpec, configYaml: string): KubeObject {
  return secret(registry, childNames(registry.metadata.name, spec).configSecret, 'config', { [SECRET_KEYS.config]: configYaml });
}

export function buildSigningKeySecret(registry: Registry, spec: RegistrySpec, privateKeyPem: string): KubeObject {
  return secret(registry, childNames(registry.metadata.name, spec).signingKeySecret, 'signing-key', {
    [SECRET_KEYS.signingKey]: privateKeyPem,
  });
}

/** The policy Secret holding `policyYaml` (the empty policy by default); with `null`, the object without data. */
export function buildPolicySecret(registry: Registry, spec: RegistrySpec, policyYaml: string | null = emptyPolicyYaml()): KubeObject {
  const data = policyYaml === null ? undefined : { [SECRET_KEYS.policy]: policyYaml };
  return secret(registry, childNames(registry.metadata.name, spec).policySecret, 'policy', data);
}

/** A new token signing key: ECDSA P-256 (ES256), PKCS#8 PEM. */
export function generateSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}
