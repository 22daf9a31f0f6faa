/**
 * `spec.tls` as pure functions: where the pods find their certificate, which names an operator-issued certificate
 * covers, and whether the certificate that exists is still the right one or must be issued again.
 */
import { isIP } from 'node:net';
import type { RegistrySpec } from './types.js';

/** Lifetime of a serving certificate the operator issues. */
export const SERVING_VALIDITY_MS = 90 * 86_400_000;
/** A certificate is issued again when less than this part of its lifetime is left (30 of 90 days). */
export const RENEW_WHEN_LEFT = 1 / 3;
/** Issued certificates start a little in the past, for nodes whose clocks run behind. */
export const BACKDATE_MS = 5 * 60_000;
/** Lifetime of the operator's CA (created once, never renewed: see the README). */
export const CA_VALIDITY_MS = 10 * 365 * 86_400_000;
/** Common name of the operator's CA (the issuer of every certificate it issues). */
export const CA_COMMON_NAME = 'Berth operator CA';
/** The operator's CA Secret, in the operator's namespace. */
export const CA_SECRET_NAME = 'berth-ca';

/** Keys of a kubernetes.io/tls Secret and of the published CA ConfigMap. */
export const TLS_KEYS = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

export type TlsMode = { kind: 'none' } | { kind: 'secret'; secretName: string } | { kind: 'issued'; secretName: string; caConfigMap: string };

/** The ConfigMap that publishes the operator's CA certificate for a Registry. */
export const caConfigMapName = (name: string): string => `${name}-ca`;

/** What spec.tls asks for, with the names of the objects involved. */
export function tlsMode(name: string, spec: Pick<RegistrySpec, 'tls'>): TlsMode {
  if (!spec.tls) return { kind: 'none' };
  if (spec.tls.secretName) return { kind: 'secret', secretName: spec.tls.secretName };
  return { kind: 'issued', secretName: `${name}-tls`, caConfigMap: caConfigMapName(name) };
}

/**
 * The names an issued certificate covers: the Service's DNS names (short to fully qualified), the host of
 * expose.host, and with a NodePort `localhost` and 127.0.0.1 (kube-proxy answers node ports there, so each node
 * can pull as `localhost:<nodePort>`). Deduplicated, in that order.
 */
export function servingHosts(name: string, namespace: string, spec: Pick<RegistrySpec, 'expose'>): string[] {
  const hosts = [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
  if (spec.expose.host) hosts.push(spec.expose.host.replace(/:\d+$/, ''));
  if (spec.expose.service.type === 'NodePort') hosts.push('localhost', '127.0.0.1');
  return [...new Set(hosts)];
}

/** What the operator reads back from an existing certificate. */
export interface ExistingCertificate {
  hosts: readonly string[];
  notBefore: Date;
  notAfter: Date;
  /** Signed by the operator's current CA. */
  signedByCa: boolean;
}

export type CertificateDecision = { issue: true; why: string } | { issue: false; renewAt: Date };

/** Whether to issue a certificate now, and otherwise when it will be renewed (pure). */
export function certificateDecision(existing: ExistingCertificate | undefined, hosts: readonly string[], now: Date): CertificateDecision {
  if (!existing) return { issue: true, why: 'no certificate yet' };
  if (!existing.signedByCa) return { issue: true, why: "the certificate is not signed by the operator's CA" };
  const have = new Set(existing.hosts);
  const missing = hosts.filter((h) => !have.has(h));
  const extra = existing.hosts.filter((h) => !hosts.includes(h));
  if (missing.length || extra.length) return { issue: true, why: `the names changed (${[...missing.map((h) => `+${h}`), ...extra.map((h) => `-${h}`)].join(', ')})` };
  const lifetime = existing.notAfter.getTime() - existing.notBefore.getTime();
  const renewAt = new Date(existing.notAfter.getTime() - lifetime * RENEW_WHEN_LEFT);
  if (now >= renewAt) return { issue: true, why: `it expires at ${existing.notAfter.toISOString()}` };
  return { issue: false, renewAt };
}

/** Parses the subjectAltName text of `X509Certificate` (`DNS:a, IP Address:127.0.0.1`) into hosts. */
export function hostsOfSubjectAltName(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(', ')
    .map((entry) => entry.replace(/^DNS:/, '').replace(/^IP Address:/, ''))
    .filter((h) => h !== '' && (isIP(h) !== 0 || /^[a-z0-9.*-]+$/i.test(h)));
}
