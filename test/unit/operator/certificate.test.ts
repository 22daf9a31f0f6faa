import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { createCertificateAuthority, issueServingCertificate } from '../../../src/operator/tls/certificate.js';
import { oid, time, tlv, unsignedInteger } from '../../../src/operator/tls/der.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER', () => {
  test.each<[string, Buffer, string]>([
    ['a short length', tlv(0x04, Buffer.alloc(3)), '0403000000'],
    ['a long length (two bytes)', tlv(0x04, Buffer.alloc(300)).subarray(0, 4), '0482012c'],
    ['an integer with its top bit set gets a 0x00', unsignedInteger(Buffer.from([0x80])), '02020080'],
    ['leading zeros go', unsignedInteger(Buffer.from([0, 0, 5])), '020105'],
    ['an OID (ecdsa-with-SHA256)', oid('1.2.840.10045.4.3.2'), '06082a8648ce3d040302'],
    ['UTCTime before 2050', time(new Date('2026-12-01T11:13:08.999Z')), hex(Buffer.concat([Buffer.from([0x17, 13]), Buffer.from('261201111308Z')]))],
    ['GeneralizedTime from 2050', time(new Date('2050-01-01T00:00:00Z')), hex(Buffer.concat([Buffer.from([0x18, 15]), Buffer.from('20500101000000Z')]))],
  ])('%s', (_name, der, expected) => {
    expect(hex(der)).toBe(expected);
  });
});

describe('certificates', () => {
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2036-01-01T00:00:00Z');
  const ca = createCertificateAuthority('Test CA', notBefore, notAfter);
  const caCert = new X509Certificate(ca.certPem);

  test('the CA is a self-signed CA certificate with the given lifetime', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toBe('O=Berth\nCN=Test CA');
    expect(caCert.checkIssued(caCert) && caCert.verify(caCert.publicKey)).toBe(true);
    expect(new Date(caCert.validFrom)).toEqual(notBefore);
    expect(new Date(caCert.validTo)).toEqual(notAfter);
  });

  test('a serving certificate: signed by the CA, for exactly its names and addresses, and its key matches', () => {
    const pair = issueServingCertificate({ ...ca, commonName: 'Test CA' }, { commonName: 'reg.team.svc', hosts: ['reg.team.svc', 'localhost', '127.0.0.1'], notBefore, notAfter: new Date('2026-04-01T00:00:00Z') });
    const cert = new X509Certificate(pair.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:reg.team.svc, DNS:localhost, IP Address:127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('other.example.com')).toBeUndefined();
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(() => createSecureContext({ cert: pair.certPem, key: pair.keyPem })).not.toThrow();
    expect(cert.serialNumber).not.toBe(new X509Certificate(issueServingCertificate({ ...ca, commonName: 'Test CA' }, { commonName: 'x', hosts: ['x'], notBefore, notAfter }).certPem).serialNumber);
  });

  test('a certificate of another CA is not taken for one of this CA', () => {
    const other = createCertificateAuthority('Test CA', notBefore, notAfter);
    const pair = issueServingCertificate({ ...other, commonName: 'Test CA' }, { commonName: 'x', hosts: ['x'], notBefore, notAfter });
    expect(new X509Certificate(pair.certPem).verify(caCert.publicKey)).toBe(false);
  });
});
