/**
 * From a Registry to the objects that should exist (pure): validates what the CRD schema cannot (the operator's
 * default image, the access modes of an existing claim, the rendered config), then builds every child, in the
 * order to apply them: what the pods read, write and run as (config, policy Secret, report ConfigMap, ServiceAccount,
 * Role, RoleBinding)
 * before the Deployment that starts them.
 */
import { ConfigError, parseConfig } from '../../shared/registry-config.js';
import { parseDuration } from '../../shared/duration.js';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../kube/objects.js';
import { RESOURCES, type ResourceType } from '../../kube/resources.js';
import { buildDeployment } from './build-deployment.js';
import { buildClaim, buildIngress, buildService } from './build-network.js';
import { buildIdentity } from './build-identity.js';
import { buildReportConfigMap } from './build-report.js';
import { gcSpecProblem } from './gc.js';
import { buildAuthDelegation } from './build-auth-delegation.js';
import { buildDisruptionBudget } from './build-disruption-budget.js';
import { effectiveAllowedImages, imageProblem } from './images.js';
import { buildConfigSecret, buildPolicySecret, buildSigningKeySecret, generateSigningKey } from './build-secrets.js';
import { contentHash, renderRegistryConfig } from './config-render.js';
import { childNames, registryEndpoint, type Endpoint } from './naming.js';
import { REASONS } from './status.js';
import { caConfigMapName, servingHosts, tlsMode, type TlsMode } from './tls-plan.js';
import { withDefaults, type Registry, type RegistrySpec } from './types.js';

export interface PlanInputs {
  /** The operator's --image, used when spec.image is empty. */
  defaultImage: string | undefined;
  /** The operator's --allowed-images patterns (`images.ts`); undefined or empty: only `defaultImage`. */
  allowedImages?: readonly string[];
  /** The existing claim named by spec.storage.existingClaim: its access modes, or null when it does not exist. */
  existingClaim?: { accessModes: string[] } | null;
}

export interface RegistryPlan {
  spec: RegistrySpec;
  endpoint: Endpoint;
  names: ReturnType<typeof childNames>;
  /** spec.tls: none, a referenced Secret, or a certificate the operator issues for `hosts`. */
  tls: TlsMode;
  /** The names an issued certificate covers. */
  tlsHosts: string[];
  /**
   * Secrets created once when missing, and never rewritten by this controller: the signing key (never
   * regenerated), and the policy Secret with an empty policy (the access controller owns its content).
   */
  create: Array<{ name: string; build: () => KubeObject }>;
  /** Objects to server-side apply, in order (the config and the pods' identity before the pods). */
  apply: Array<{ resource: ResourceType; object: KubeObject }>;
  /** Children that must not exist (an Ingress no longer asked for, a budget after a scale back to one). */
  remove: Array<{ resource: ResourceType; name: string }>;
  /**
   * The name of the pods' auth-delegator ClusterRoleBinding while spec.auth.kubernetes.enabled (it is in `apply`);
   * undefined otherwise. Every other binding labelled for this Registry is deleted.
   */
  authDelegation: string | undefined;
}

export type PlanResult =
  | { ok: true; plan: RegistryPlan }
  | { ok: false; reason: (typeof REASONS)[keyof typeof REASONS]; message: string };

function invalid(message: string): PlanResult {
  return { ok: false, reason: REASONS.invalidSpec, message };
}

/** Problems the CRD cannot see; undefined when the spec is usable. */
function specProblem(spec: RegistrySpec, inputs: PlanInputs): PlanResult | undefined {
  if (!spec.image && !inputs.defaultImage) {
    return invalid('spec.image is empty and the operator was started without --image: set spec.image to a Berth image');
  }
  const image = spec.image ?? inputs.defaultImage!;
  const refusal = imageProblem(image, effectiveAllowedImages(inputs.allowedImages, inputs.defaultImage));
  if (refusal) return { ok: false, reason: REASONS.imageNotAllowed, message: refusal };
  const ttl = parseDuration(spec.auth.tokenTtl);
  if (ttl === undefined || ttl < 60_000) return invalid(`spec.auth.tokenTtl "${spec.auth.tokenTtl}" must be a duration of at least 60s`);
  if (spec.expose.ingress?.enabled && !spec.expose.host) return invalid('spec.expose.ingress.enabled needs spec.expose.host');
  const gc = gcSpecProblem(spec.gc);
  if (gc) return invalid(gc);
  if (spec.storage.existingClaim && inputs.existingClaim === null) {
    return {
      ok: false,
      reason: REASONS.claimNotFound,
      message: `PersistentVolumeClaim "${spec.storage.existingClaim}" (spec.storage.existingClaim) does not exist; create it or remove existingClaim`,
    };
  }
  if (spec.storage.s3 && (spec.storage.existingClaim || spec.storage.storageClassName)) {
    return invalid('spec.storage.s3 keeps the layers in a bucket: remove spec.storage.existingClaim and spec.storage.storageClassName');
  }
  const modes = volumeAccessModes(spec, inputs);
  if (spec.replicas > 1 && !spec.storage.s3 && !modes.includes('ReadWriteMany')) {
    return invalid(
      `spec.replicas is ${spec.replicas} but the volume is not ReadWriteMany (${modes.join(', ') || 'no access modes'}): ` +
        'use one replica, storage.s3, or a claim with ReadWriteMany',
    );
  }
  return undefined;
}

function volumeAccessModes(spec: RegistrySpec, inputs: PlanInputs): string[] {
  return spec.storage.existingClaim ? (inputs.existingClaim?.accessModes ?? []) : spec.storage.accessModes;
}

/**
 * The plan for a Registry whose spec, with defaults, is `spec` (the reconcile computes it once and passes it).
 */
export function planRegistry(registry: Registry, inputs: PlanInputs, spec: RegistrySpec = withDefaults(registry.spec)): PlanResult {
  const problem = specProblem(spec, inputs);
  if (problem) return problem;
  const name = registry.metadata.name;
  const namespace = registry.metadata.namespace ?? 'default';
  const names = childNames(name, spec);
  const tls = tlsMode(name, spec);
  const endpoint = registryEndpoint(name, namespace, spec);
  const configYaml = renderRegistryConfig(spec, endpoint, { namespace, name: names.policySecret }, { namespace, name: names.reportConfigMap });
  try {
    parseConfig(parseYaml(configYaml));
  } catch (err) {
    if (err instanceof ConfigError) return invalid(`the registry configuration would be invalid: ${err.message}`);
    throw err;
  }
  const deployment = buildDeployment(registry, spec, {
    image: (spec.image ?? inputs.defaultImage)!,
    configHash: contentHash(configYaml),
    volumeAccessModes: volumeAccessModes(spec, inputs),
    tlsSecretName: tls.kind === 'none' ? undefined : tls.secretName,
  });
  const claim = spec.storage.s3 ? undefined : buildClaim(registry, spec);
  const ingress = buildIngress(registry, spec);
  const budget = buildDisruptionBudget(registry, spec);
  const create: RegistryPlan['create'] = [
    { name: names.signingKeySecret, build: () => buildSigningKeySecret(registry, spec, generateSigningKey()) },
    { name: names.policySecret, build: () => buildPolicySecret(registry, spec) },
  ];
  const apply: RegistryPlan['apply'] = [
    { resource: RESOURCES.secret, object: buildConfigSecret(registry, spec, configYaml) },
    { resource: RESOURCES.secret, object: buildPolicySecret(registry, spec, null) },
    { resource: RESOURCES.configMap, object: buildReportConfigMap(registry, spec) },
    ...buildIdentity(registry, names.policySecret, names.reportConfigMap),
  ];
  const delegation = spec.auth.kubernetes?.enabled ? buildAuthDelegation(registry) : undefined;
  if (delegation) apply.push({ resource: RESOURCES.clusterRoleBinding, object: delegation });
  if (claim) apply.push({ resource: RESOURCES.pvc, object: claim });
  apply.push({ resource: RESOURCES.service, object: buildService(registry, spec) });
  apply.push({ resource: RESOURCES.deployment, object: deployment });
  if (budget) apply.push({ resource: RESOURCES.pdb, object: budget });
  if (ingress) apply.push({ resource: RESOURCES.ingress, object: ingress });
  const remove: RegistryPlan['remove'] = [];
  if (!budget) remove.push({ resource: RESOURCES.pdb, name: names.disruptionBudget });
  if (!ingress) remove.push({ resource: RESOURCES.ingress, name: names.ingress });
  // the ConfigMap publishing the operator's CA exists only while the operator issues the certificate
  if (tls.kind !== 'issued') remove.push({ resource: RESOURCES.configMap, name: caConfigMapName(name) });
  const tlsHosts = tls.kind === 'issued' ? servingHosts(name, namespace, spec) : [];
  return { ok: true, plan: { spec, endpoint, names, tls, tlsHosts, create, apply, remove, authDelegation: delegation?.metadata.name } };
}
