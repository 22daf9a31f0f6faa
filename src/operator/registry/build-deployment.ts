/**
 * The Deployment of `berth serve` pods for a Registry (pure).
 */
import type { KubeObject } from '../../kube/objects.js';
import { POD_PATHS, SECRET_KEYS } from './config-render.js';
import { ANNOTATIONS, childLabels, childNames, ownerReference, REGISTRY_PORT, selectorLabels } from './naming.js';
import { registryServiceAccountName } from './build-identity.js';
import type { Registry, RegistrySpec } from './types.js';
import { s3Env, s3Volumes, spreadAcrossNodes } from './build-s3.js';

/** The non-root user and group the registry runs as (the distroless "nonroot" ids). */
export const RUN_AS_ID = 65532;

export interface DeploymentInputs {
  image: string;
  /** Hash of everything the pods read from files (config, and what else should roll them). */
  configHash: string;
  /** Access modes of the volume the pods mount (of the existing claim, or the spec's). */
  volumeAccessModes: readonly string[];
  /** The kubernetes.io/tls Secret the pods serve HTTPS with (spec.tls); undefined: plain HTTP. */
  tlsSecretName?: string;
}

/**
 * Recreate unless the layers can be reached by several pods at once (a bucket, or a volume several pods can mount):
 * a rolling update would need two.
 */
export function deploymentStrategy(volumeAccessModes: readonly string[], inBucket = false): Record<string, unknown> {
  if (inBucket || volumeAccessModes.includes('ReadWriteMany')) {
    return { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  }
  return { type: 'Recreate' };
}

function configVolume(name: string, spec: RegistrySpec): Record<string, unknown> {
  const names = childNames(name, spec);
  const item = (secretName: string, key: string, path: string) => ({ secret: { name: secretName, items: [{ key, path }] } });
  return {
    name: 'config',
    projected: {
      defaultMode: 0o440,
      sources: [
        item(names.configSecret, SECRET_KEYS.config, 'config.yaml'),
        item(names.signingKeySecret, SECRET_KEYS.signingKey, 'keys/signing-key.pem'),
        item(names.policySecret, SECRET_KEYS.policy, 'policy/policy.yaml'),
      ],
    },
  };
}

function registryContainer(spec: RegistrySpec, image: string, tls: boolean): Record<string, unknown> {
  const s3 = spec.storage.s3;
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    // the kubelet does not verify the certificate of an HTTPS probe
    httpGet: { path, port: 'http', ...(tls && { scheme: 'HTTPS' }) },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  });
  return {
    name: 'registry',
    image,
    imagePullPolicy: spec.imagePullPolicy,
    // The image's entrypoint is the berth CLI (scripts/image/build.sh: node /app/dist/src/cli/main.js).
    args: ['serve', '--config', POD_PATHS.config],
    ports: [{ name: 'http', containerPort: REGISTRY_PORT, protocol: 'TCP' }],
    startupProbe: probe('/healthz', 2, 30),
    livenessProbe: probe('/healthz', 10, 3),
    readinessProbe: probe('/readyz', 5, 2),
    resources: spec.resources,
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    ...(s3 ? { env: s3Env(s3) } : {}),
    volumeMounts: [
      { name: 'config', mountPath: POD_PATHS.configDir, readOnly: true },
      ...(s3 ? s3Volumes(s3).mounts : [{ name: 'data', mountPath: POD_PATHS.storage }]),
      { name: 'tmp', mountPath: POD_PATHS.tmp },
      ...(tls ? [{ name: 'tls', mountPath: POD_PATHS.tlsDir, readOnly: true }] : []),
    ],
  };
}

export function buildDeployment(registry: Registry, spec: RegistrySpec, inputs: DeploymentInputs): KubeObject {
  const name = registry.metadata.name;
  const s3 = spec.storage.s3;
  const podSpec: Record<string, unknown> = {
    // The pods' ServiceAccount may only read the policy Secret (see build-identity.ts).
    serviceAccountName: registryServiceAccountName(name),
    automountServiceAccountToken: true,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_ID,
      runAsGroup: RUN_AS_ID,
      fsGroup: RUN_AS_ID,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [registryContainer(spec, inputs.image, inputs.tlsSecretName !== undefined)],
    volumes: [
      configVolume(name, spec),
      ...(s3 ? s3Volumes(s3).volumes : [{ name: 'data', persistentVolumeClaim: { claimName: childNames(name, spec).claim } }]),
      { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
      // a whole-Secret volume (no subPath), so the kubelet updates it when the certificate is renewed
      ...(inputs.tlsSecretName ? [{ name: 'tls', secret: { secretName: inputs.tlsSecretName, defaultMode: 0o440 } }] : []),
    ],
    // a bucket ties the pods to no node: spread them
    ...(s3 ? spreadAcrossNodes(name) : {}),
  };
  if (spec.imagePullSecrets?.length) podSpec.imagePullSecrets = spec.imagePullSecrets;
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length) podSpec.nodeSelector = spec.nodeSelector;
  if (spec.tolerations?.length) podSpec.tolerations = spec.tolerations;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: childNames(name, spec).deployment,
      namespace: registry.metadata.namespace,
      labels: childLabels(name, 'registry'),
      ownerReferences: [ownerReference(registry)],
    },
    spec: {
      replicas: spec.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(name) },
      strategy: deploymentStrategy(inputs.volumeAccessModes, Boolean(s3)),
      template: {
        metadata: {
          labels: childLabels(name, 'registry'),
          annotations: { [ANNOTATIONS.configHash]: inputs.configHash },
        },
        spec: podSpec,
      },
    },
  };
}
