/**
 * The Registry custom resource (berth.dev/v1alpha1) as TypeScript types, with the defaults its CRD declares
 * (`deploy/crds/berth.dev_registries.yaml`; a unit test keeps the two in step). The API server fills in the
 * defaults; {@link withDefaults} repeats them so builders also work on objects that never went through it.
 */
import type { Condition } from '../../kube/conditions.js';
import type { KubeObject } from '../../kube/objects.js';

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface RegistrySpec {
  replicas: number;
  image?: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets?: Array<{ name: string }>;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  storage: {
    size: string;
    storageClassName?: string;
    accessModes: AccessMode[];
    existingClaim?: string;
    reclaimPolicy: 'Retain' | 'Delete';
  };
  expose: {
    host?: string;
    scheme?: 'http' | 'https';
    service: {
      type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
      port: number;
      nodePort?: number;
      annotations?: Record<string, string>;
    };
    ingress?: { enabled: boolean; className?: string; annotations?: Record<string, string>; tlsSecretName?: string };
  };
  auth: { tokenTtl: string };
  resources: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

export interface RegistryStatus {
  observedGeneration?: number;
  endpoint?: string;
  url?: string;
  replicas?: number;
  readyReplicas?: number;
  selector?: string;
  claimName?: string;
  conditions?: Condition[];
}

/** A Registry as the API returns it; its spec may lack fields if the CRD defaults were not applied. */
export interface Registry extends KubeObject {
  spec?: DeepPartial<RegistrySpec>;
  status?: RegistryStatus;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<infer U> ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The CRD's defaults, in one place for the TypeScript side. */
export const REGISTRY_DEFAULTS = {
  replicas: 1,
  imagePullPolicy: 'IfNotPresent',
  logLevel: 'info',
  storage: { size: '10Gi', accessModes: ['ReadWriteOnce'], reclaimPolicy: 'Retain' },
  service: { type: 'ClusterIP', port: 5000 },
  ingressEnabled: false,
  tokenTtl: '5m',
  resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
} as const;

/** The spec with every CRD default filled in (pure). */
export function withDefaults(spec: Registry['spec']): RegistrySpec {
  const s = spec ?? {};
  const d = REGISTRY_DEFAULTS;
  const ingress = s.expose?.ingress;
  return {
    replicas: s.replicas ?? d.replicas,
    image: s.image || undefined,
    imagePullPolicy: s.imagePullPolicy ?? d.imagePullPolicy,
    imagePullSecrets: s.imagePullSecrets?.filter((x): x is { name: string } => !!x?.name),
    logLevel: s.logLevel ?? d.logLevel,
    storage: {
      size: s.storage?.size ?? d.storage.size,
      storageClassName: s.storage?.storageClassName || undefined,
      accessModes: (s.storage?.accessModes as AccessMode[] | undefined) ?? [...d.storage.accessModes],
      existingClaim: s.storage?.existingClaim || undefined,
      reclaimPolicy: s.storage?.reclaimPolicy ?? d.storage.reclaimPolicy,
    },
    expose: {
      host: s.expose?.host || undefined,
      scheme: s.expose?.scheme,
      service: {
        type: s.expose?.service?.type ?? d.service.type,
        port: s.expose?.service?.port ?? d.service.port,
        nodePort: s.expose?.service?.nodePort,
        annotations: s.expose?.service?.annotations as Record<string, string> | undefined,
      },
      ingress: ingress && {
        enabled: ingress.enabled ?? d.ingressEnabled,
        className: ingress.className || undefined,
        annotations: ingress.annotations as Record<string, string> | undefined,
        tlsSecretName: ingress.tlsSecretName || undefined,
      },
    },
    auth: { tokenTtl: s.auth?.tokenTtl ?? d.tokenTtl },
    resources: (s.resources as RegistrySpec['resources'] | undefined) ?? structuredClone(d.resources) as RegistrySpec['resources'],
    nodeSelector: s.nodeSelector as Record<string, string> | undefined,
    tolerations: s.tolerations as Toleration[] | undefined,
  };
}
