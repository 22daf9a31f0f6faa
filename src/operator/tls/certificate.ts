/**
 * X.509 certificates the operator issues (RFC 5280, v3): its own certificate authority, and a serving
 * certificate per Registry signed by it. Keys are ECDSA P-256, signatures ecdsa-with-SHA256, all from node:crypto
 * (`crypto.X509Certificate` only parses, so the certificate is laid out with the DER encoders of `der.ts`).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

const OIDS = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** Key usage bits (RFC 5280 4.2.1.3), numbered from the most significant bit of the first byte. */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

function name(commonName: string): Buffer {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(rdn(OIDS.organization, 'Berth'), rdn(OIDS.commonName, commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** A DER named-bit BIT STRING: trailing zero bits dropped, as DER requires. */
function keyUsage(bits: number[]): Buffer {
  let value = 0;
  for (const b of bits) value |= 0x80 >> b;
  let unused = 0;
  while (unused < 7 && !(value & (1 << unused))) unused++;
  return Buffer.from([0x03, 0x02, unused, value]);
}

function subjectAltName(hosts: readonly string[]): Buffer {
  const names = hosts.map((h) =>
    isIP(h) === 4 ? implicitPrimitive(7, Buffer.from(h.split('.').map(Number))) : implicitPrimitive(2, Buffer.from(h, 'ascii')),
  );
  return sequence(...names);
}

function publicKeyInfo(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** RFC 5280 4.2.1.2 method 1 (SHA-1 of the public key's bits); here of the whole SubjectPublicKeyInfo, as allowed. */
function keyIdentifier(key: KeyObject): Buffer {
  return createHash('sha1').update(publicKeyInfo(key)).digest();
}

interface Signed {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerKeyId: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function certificate(c: Signed): string {
  const algorithm = sequence(oid(OIDS.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    name(c.issuer),
    sequence(time(c.notBefore), time(c.notAfter)),
    name(c.subject),
    publicKeyInfo(c.publicKey),
    explicit(
      3,
      sequence(
        ...c.extensions,
        extension(OIDS.subjectKeyIdentifier, false, octetString(keyIdentifier(c.publicKey))),
        extension(OIDS.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, c.issuerKeyId))),
      ),
    ),
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, c.signingKey)));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

function newKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function keyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** A self-signed certificate authority (may sign end-entity certificates only: path length 0). */
export function createCertificateAuthority(commonName: string, notBefore: Date, notAfter: Date): KeyPair {
  const { privateKey, publicKey } = newKey();
  const certPem = certificate({
    subject: commonName,
    issuer: commonName,
    publicKey,
    signingKey: privateKey,
    issuerKeyId: keyIdentifier(publicKey),
    notBefore,
    notAfter,
    extensions: [
      extension(OIDS.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
      extension(OIDS.keyUsage, true, keyUsage([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
    ],
  });
  return { certPem, keyPem: keyPem(privateKey) };
}

export interface ServingRequest {
  commonName: string;
  /** DNS names and IPv4 addresses, in the order they go into subjectAltName. */
  hosts: readonly string[];
  notBefore: Date;
  notAfter: Date;
}

/** A TLS server certificate for `hosts`, signed by `ca` (whose subject is read from its certificate). */
export function issueServingCertificate(ca: KeyPair & { commonName: string }, request: ServingRequest): KeyPair {
  const { privateKey, publicKey } = newKey();
  const caKey = createPrivateKey(ca.keyPem);
  const certPem = certificate({
    subject: request.commonName,
    issuer: ca.commonName,
    publicKey,
    signingKey: caKey,
    issuerKeyId: keyIdentifier(createPublicKey(caKey)),
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    extensions: [
      extension(OIDS.basicConstraints, true, sequence()),
      extension(OIDS.keyUsage, true, keyUsage([KEY_USAGE.digitalSignature])),
      extension(OIDS.extKeyUsage, false, sequence(oid(OIDS.serverAuth))),
      extension(OIDS.subjectAltName, false, subjectAltName(request.hosts)),
    ],
  });
  return { certPem, keyPem: keyPem(privateKey) };
}
