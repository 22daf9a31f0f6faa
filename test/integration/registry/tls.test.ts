/**
 * `berth serve` with `http.tls`: HTTPS with a certificate from a test CA, the token realm in https, real clients
 * (skopeo pushes, crane pulls) that trust only that CA, and the certificate replaced the way a Kubernetes Secret
 * volume replaces it: new connections get the new one, an open connection keeps working, no restart; a broken
 * pair is refused and the last good one kept.
 */
import { request, Agent } from 'node:https';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueServingCertificate, type KeyPair } from '../../../src/operator/tls/certificate.js';
import { runOk, tool } from '../../helpers/tools.js';
import { createTestImage } from '../../helpers/oci-layout.js';
import { secretVolume, type SecretVolume } from '../../helpers/secret-volume.js';
import { waitFor } from '../operator/helpers/wait.js';
import { PASSWORDS, startAuthRegistry, type AuthRegistry } from './auth-fixture.js';

const DAY = 86_400_000;
const CA_NAME = 'Berth test CA';
let ca: KeyPair;
let volume: SecretVolume;
let registry: AuthRegistry;
let trust: string;
let port: number;

function serving(commonName: string, hosts = ['localhost', '127.0.0.1']): KeyPair {
  const now = Date.now();
  return issueServingCertificate({ ...ca, commonName: CA_NAME }, { commonName, hosts, notBefore: new Date(now - 60_000), notAfter: new Date(now + 30 * DAY) });
}

/** The certificate a new TLS connection to the registry is shown (verified against the test CA). */
function servedCertificate(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      resolve(cert!.subject);
    });
    socket.on('error', reject);
  });
}

function get(path: string, agent?: Agent): Promise<{ status: number; headers: Record<string, unknown>; socketPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: ca.certPem, servername: 'localhost', agent }, (res) => {
      const socketPort = res.socket.localPort!;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, socketPort }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const now = Date.now();
  ca = createCertificateAuthority(CA_NAME, new Date(now - 60_000), new Date(now + 365 * DAY));
  const first = serving('first');
  volume = await secretVolume({ 'tls.crt': first.certPem, 'tls.key': first.keyPem });
  trust = await mkdtemp(join(tmpdir(), 'berth-tls-trust-'));
  await writeFile(join(trust, 'ca.crt'), ca.certPem);
  registry = await startAuthRegistry({ http: { tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') } } });
  port = Number(registry.host.split(':').pop());
});

afterAll(async () => {
  await registry?.stop();
  await volume?.remove();
  await rm(trust, { recursive: true, force: true });
});

test('it serves HTTPS only, and the token realm it advertises is https', async () => {
  expect(registry.berth.logs.find((l) => l.message === 'listening')).toMatchObject({ scheme: 'https' });
  const res = await get('/v2/');
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toContain(`realm="https://127.0.0.1:${port}/token"`);
  // plain HTTP gets no answer: the TLS handshake fails and the connection is closed
  await expect(fetch(`http://127.0.0.1:${port}/v2/`)).rejects.toThrow('fetch failed');
});

test('skopeo pushes and crane pulls, each trusting only the test CA', async () => {
  const image = await createTestImage({ seed: 'tls' });
  try {
    const ref = `localhost:${port}/team/tls:v1`;
    await runOk(tool('skopeo'), ['copy', '--all', '--preserve-digests', '--dest-cert-dir', trust, '--dest-creds', `alice:${PASSWORDS.alice}`, image.reference, `docker://${ref}`]);
    const config = await mkdtemp(join(tmpdir(), 'berth-tls-crane-'));
    const env = { SSL_CERT_FILE: join(trust, 'ca.crt'), DOCKER_CONFIG: config };
    await runOk(tool('crane'), ['auth', 'login', `localhost:${port}`, '-u', 'alice', '-p', PASSWORDS.alice], { env });
    expect((await runOk(tool('crane'), ['digest', ref], { env })).trim()).toBe(image.index.digest);
    await runOk(tool('crane'), ['pull', '--format', 'oci', ref, join(config, 'pulled')], { env });
    await rm(config, { recursive: true, force: true });
    // without the CA, a client refuses the registry's certificate
    await expect(runOk(tool('crane'), ['digest', ref], { env: { SSL_CERT_FILE: '/nonexistent' } })).rejects.toThrow(/certificate/);
  } finally {
    await rm(image.dir, { recursive: true, force: true });
  }
});

test('a new certificate in the Secret volume is served to new connections, with no restart; open ones keep working', async () => {
  expect(await servedCertificate()).toContain('CN=first');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const before = await get('/healthz', agent);
  const pid = registry.berth.child.pid;

  const second = serving('second');
  await volume.update({ 'tls.crt': second.certPem, 'tls.key': second.keyPem });
  await waitFor('the new certificate to be served', async () => (await servedCertificate()).includes('CN=second'), 20_000, 100);
  expect(registry.berth.logs.find((l) => l.message === 'reloaded the TLS certificate')).toMatchObject({ subject: expect.stringContaining('CN=second') });

  const after = await get('/healthz', agent);
  expect(after).toMatchObject({ status: 200, socketPort: before.socketPort });
  expect(registry.berth.child.pid).toBe(pid);
  expect(registry.berth.child.exitCode).toBeNull();
  agent.destroy();
});

test('a pair that does not load is logged and the last good certificate kept', async () => {
  const third = serving('third');
  const other = serving('other');
  await volume.update({ 'tls.crt': third.certPem, 'tls.key': other.keyPem });
  await waitFor('the refusal to be logged', async () => registry.berth.logs.some((l) => l.message === 'kept the previous TLS certificate'), 20_000, 100);
  expect(await servedCertificate()).toContain('CN=second');
  expect(JSON.stringify(registry.berth.logs)).not.toContain('PRIVATE KEY');

  await volume.update({ 'tls.crt': third.certPem, 'tls.key': third.keyPem });
  await waitFor('the repaired pair to be served', async () => (await servedCertificate()).includes('CN=third'), 20_000, 100);
  expect(new X509Certificate(third.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
});
