/**
 * The reconcile step of an operator-issued certificate (spec.tls without secretName): the operator's CA, the
 * Registry's serving certificate (issued when missing, when its names change, when another CA signed it, and
 * when a third of its lifetime is left; the decision is `certificateDecision`), and the ConfigMap publishing the
 * CA certificate. The pods read the renewed Secret from their volume and reload it without a restart.
 */
import { X509Certificate } from 'node:crypto';
import type { Informer } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import type { Applier } from '../runtime/applier.js';
import type { EventRecorder } from '../runtime/events.js';
import { issueServingCertificate } from '../tls/certificate.js';
import type { CertificateAuthority, OperatorCa } from '../tls/operator-ca.js';
import { buildCaConfigMap, buildServingSecret } from './build-tls.js';
import {
  BACKDATE_MS,
  certificateDecision,
  hostsOfSubjectAltName,
  RENEW_WHEN_LEFT,
  SERVING_VALIDITY_MS,
  TLS_KEYS,
  type ExistingCertificate,
} from './tls-plan.js';
import type { Registry } from './types.js';

export interface ServingCertificateDeps {
  ca: OperatorCa;
  applier: Applier;
  secrets: Informer<KubeObject>;
  configMaps: Informer<KubeObject>;
  events: EventRecorder;
}

export interface IssuedTls {
  secretName: string;
  caConfigMap: string;
  notAfter: Date;
  renewAt: Date;
}

/** The certificate in a kubernetes.io/tls Secret as the decision needs it; undefined when there is none usable. */
export function existingCertificate(secret: KubeObject | undefined, ca: CertificateAuthority): ExistingCertificate | undefined {
  const pem = (secret as { data?: Record<string, string> } | undefined)?.data?.[TLS_KEYS.cert];
  if (!pem) return undefined;
  try {
    const cert = new X509Certificate(Buffer.from(pem, 'base64'));
    return {
      hosts: hostsOfSubjectAltName(cert.subjectAltName),
      notBefore: new Date(cert.validFrom),
      notAfter: new Date(cert.validTo),
      signedByCa: cert.checkIssued(ca.cert) && cert.verify(ca.cert.publicKey),
    };
  } catch {
    return undefined;
  }
}

/** Ensures the serving certificate and the CA ConfigMap; returns when the certificate expires and is renewed. */
export async function ensureServingCertificate(
  deps: ServingCertificateDeps,
  registry: Registry,
  names: { secretName: string; caConfigMap: string },
  hosts: readonly string[],
  now: Date,
): Promise<IssuedTls> {
  const ns = registry.metadata.namespace;
  const ca = await deps.ca.get(now);
  const live = deps.secrets.get(`${ns}/${names.secretName}`);
  const existing = existingCertificate(live, ca);
  const decision = certificateDecision(existing, hosts, now);
  let notAfter: Date;
  let renewAt: Date;
  if (decision.issue) {
    // X.509 times have whole seconds: the status and the Event show what the certificate says
    notAfter = new Date(Math.floor((now.getTime() + SERVING_VALIDITY_MS) / 1000) * 1000);
    renewAt = new Date(notAfter.getTime() - SERVING_VALIDITY_MS * RENEW_WHEN_LEFT);
    const commonName = `${registry.metadata.name}.${ns}.svc`.slice(0, 64);
    const pair = issueServingCertificate(ca, { commonName, hosts, notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter });
    await deps.applier.ensure(RESOURCES.secret, buildServingSecret(registry, names.secretName, pair), live);
    deps.events.record(registry, 'Normal', 'CertificateIssued', `issued Secret ${names.secretName} for ${hosts.join(', ')} (${decision.why}), valid until ${notAfter.toISOString()}`);
  } else {
    notAfter = existing!.notAfter;
    renewAt = decision.renewAt;
  }
  const configMap = buildCaConfigMap(registry, names.caConfigMap, ca.certPem);
  await deps.applier.ensure(RESOURCES.configMap, configMap, deps.configMaps.get(`${ns}/${names.caConfigMap}`));
  return { ...names, notAfter, renewAt };
}
