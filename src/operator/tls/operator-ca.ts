/**
 * The operator's certificate authority: a kubernetes.io/tls Secret in the operator's namespace, created once (by
 * whichever operator gets there first; a conflict means another made it) and read from the shared Secret cache
 * afterwards, so a CA replaced by an admin is used from then on. Its key never leaves that Secret and this process.
 */
import { X509Certificate } from 'node:crypto';
import { classifyFailure, FAILURE_KINDS } from '../../kube/api-error.js';
import type { Informer } from '../../kube/informer.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { KubeObject } from '../../kube/objects.js';
import { RESOURCES } from '../../kube/resources.js';
import type { Logger } from '../../shared/logger.js';
import { LABELS, MANAGED_BY } from '../registry/naming.js';
import { BACKDATE_MS, CA_COMMON_NAME, CA_SECRET_NAME, CA_VALIDITY_MS, TLS_KEYS } from '../registry/tls-plan.js';
import { createCertificateAuthority, type KeyPair } from './certificate.js';

export interface CertificateAuthority extends KeyPair {
  commonName: string;
  cert: X509Certificate;
}

type SecretObject = KubeObject & { data?: Record<string, string> };

function fromSecret(secret: SecretObject): CertificateAuthority {
  const text = (key: string): string => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  const certPem = text(TLS_KEYS.cert);
  const cert = new X509Certificate(certPem);
  if (!cert.ca) throw new Error(`Secret ${secret.metadata.namespace}/${secret.metadata.name}: ${TLS_KEYS.cert} is not a CA certificate`);
  return { certPem, keyPem: text(TLS_KEYS.key), commonName: CA_COMMON_NAME, cert };
}

export class OperatorCa {
  readonly #api: KubeApi;
  readonly #namespace: string;
  readonly #secrets: Informer<KubeObject>;
  readonly #logger: Logger;
  #parsed: { resourceVersion: string; ca: CertificateAuthority } | undefined;
  #creating: Promise<SecretObject> | undefined;

  constructor(api: KubeApi, namespace: string, secrets: Informer<KubeObject>, logger: Logger) {
    this.#api = api;
    this.#namespace = namespace;
    this.#secrets = secrets;
    this.#logger = logger;
  }

  /** The CA, creating its Secret when there is none. */
  async get(now: Date): Promise<CertificateAuthority> {
    const secret = (this.#secrets.get(`${this.#namespace}/${CA_SECRET_NAME}`) as SecretObject | undefined) ?? (await this.#create(now));
    const version = secret.metadata.resourceVersion ?? '';
    if (this.#parsed?.resourceVersion !== version) this.#parsed = { resourceVersion: version, ca: fromSecret(secret) };
    return this.#parsed.ca;
  }

  #create(now: Date): Promise<SecretObject> {
    this.#creating ??= this.#createOnce(now).finally(() => (this.#creating = undefined));
    return this.#creating;
  }

  async #createOnce(now: Date): Promise<SecretObject> {
    const pair = createCertificateAuthority(CA_COMMON_NAME, new Date(now.getTime() - BACKDATE_MS), new Date(now.getTime() + CA_VALIDITY_MS));
    const object: SecretObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: CA_SECRET_NAME,
        namespace: this.#namespace,
        labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: 'berth', [LABELS.component]: 'ca' },
      },
      type: 'kubernetes.io/tls',
      data: { [TLS_KEYS.cert]: Buffer.from(pair.certPem).toString('base64'), [TLS_KEYS.key]: Buffer.from(pair.keyPem).toString('base64') },
    };
    try {
      const created = await this.#api.create(RESOURCES.secret, object);
      this.#logger.info('created the operator CA', { secret: `${this.#namespace}/${CA_SECRET_NAME}`, notAfter: new Date(new X509Certificate(pair.certPem).validTo).toISOString() });
      return created;
    } catch (err) {
      if (classifyFailure(err) !== FAILURE_KINDS.exists) throw err;
      return this.#api.get<SecretObject>(RESOURCES.secret, this.#namespace, CA_SECRET_NAME);
    }
  }
}
