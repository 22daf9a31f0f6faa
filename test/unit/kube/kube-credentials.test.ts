import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { inClusterServer, loadKubeCredentials, PlainCredentials, plainFromKubeconfig } from '../../../src/kube/kube-credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'other', cluster: { server: 'https://wrong:1' } }, { name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

describe('plainFromKubeconfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kubeconfig-'));
  writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');

  test.each<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown> | undefined]>([
    ['a token and CA data', { server: 'https://k:6443', 'certificate-authority-data': b64('CA') }, { token: 'abc' }, { server: 'https://k:6443', token: 'abc', ca: Buffer.from('CA'), skipTLSVerify: false }],
    ['a client certificate', { server: 'https://k:6443' }, { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }, { cert: Buffer.from('CERT'), key: Buffer.from('KEY'), token: undefined }],
    ['a CA file relative to the kubeconfig', { server: 'https://k:6443', 'certificate-authority': 'ca.crt' }, {}, { ca: Buffer.from('CA FROM FILE') }],
    ['skip verify and a TLS server name', { server: 'https://k:6443', 'insecure-skip-tls-verify': true, 'tls-server-name': 'api' }, { token: 't' }, { skipTLSVerify: true, tlsServerName: 'api' }],
    ['an exec plugin: KubeConfig', { server: 'https://k:6443' }, { exec: { command: 'aws' } }, undefined],
    ['an auth provider: KubeConfig', { server: 'https://k:6443' }, { 'auth-provider': { name: 'oidc' } }, undefined],
    ['basic auth: KubeConfig', { server: 'https://k:6443' }, { username: 'a', password: 'b' }, undefined],
    ['impersonation: KubeConfig', { server: 'https://k:6443' }, { token: 't', as: 'admin' }, undefined],
    ['a proxy: KubeConfig', { server: 'https://k:6443', 'proxy-url': 'http://p:3128' }, { token: 't' }, undefined],
    ['no server', {}, { token: 't' }, undefined],
  ])('%s', (_name, cluster, user, expected) => {
    const plain = plainFromKubeconfig(kubeconfig(cluster, user), dir);
    if (expected === undefined) expect(plain).toBeUndefined();
    else expect(plain).toMatchObject(expected);
  });

  test('no current context', () => {
    expect(plainFromKubeconfig(stringify({ clusters: [], users: [], contexts: [] }), dir)).toBeUndefined();
  });
});

test.each([
  ['10.0.0.1', '443', 'https://10.0.0.1:443'],
  ['fd00::1', '443', 'https://[fd00::1]:443'],
  ['10.0.0.1', '8080', 'http://10.0.0.1:8080'],
])('inClusterServer(%s, %s) = %s', (host, port, url) => {
  expect(inClusterServer(host, port)).toBe(url);
});

describe('PlainCredentials', () => {
  test('TLS material and a bearer token go into the request options', async () => {
    const creds = new PlainCredentials({ server: 'https://k', skipTLSVerify: true, tlsServerName: 'api', ca: Buffer.from('CA'), token: 't' });
    const opts: https.RequestOptions = { headers: { Accept: 'application/json' } };
    await creds.applyToHTTPSOptions(opts);
    expect(opts).toMatchObject({ rejectUnauthorized: false, servername: 'api', ca: Buffer.from('CA'), headers: { Accept: 'application/json', Authorization: 'Bearer t' } });
    expect(creds.getCurrentCluster()).toEqual({ server: 'https://k', skipTLSVerify: true, tlsServerName: 'api' });
  });

  test('a token file is read again once a minute has passed (kubelet rotates it)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'berth-token-')), 'token');
    let now = 0;
    const creds = new PlainCredentials({ server: 'https://k', skipTLSVerify: false, tokenFile: file }, () => now);
    const auth = async (): Promise<unknown> => {
      const opts: https.RequestOptions = {};
      await creds.applyToHTTPSOptions(opts);
      return (opts.headers as Record<string, string> | undefined)?.Authorization;
    };
    writeFileSync(file, 'one');
    expect(await auth()).toBe('Bearer one');
    writeFileSync(file, 'two');
    now = 60_000;
    expect(await auth()).toBe('Bearer one');
    now = 60_001;
    expect(await auth()).toBe('Bearer two');
  });
});

describe('loadKubeCredentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sources-'));
  const file = join(dir, 'config');
  writeFileSync(file, kubeconfig({ server: 'https://from-file:6443' }, { token: 't' }));
  const execFile = join(dir, 'exec-config');
  writeFileSync(execFile, kubeconfig({ server: 'https://exec:6443' }, { exec: { command: 'true', apiVersion: 'client.authentication.k8s.io/v1' } }));
  const sa = join(dir, 'sa');
  mkdirSync(sa);
  writeFileSync(join(sa, 'token'), 'sa-token');
  const nowhere = { homeConfig: join(dir, 'no-such-config'), serviceAccountDir: join(dir, 'no-such-sa') };

  test.each<[string, string | undefined, Parameters<typeof loadKubeCredentials>[1], string, boolean]>([
    ['an explicit file', file, { env: {}, ...nowhere }, 'https://from-file:6443', true],
    ['$KUBECONFIG', undefined, { env: { KUBECONFIG: file }, ...nowhere }, 'https://from-file:6443', true],
    ['~/.kube/config', undefined, { env: {}, homeConfig: file, serviceAccountDir: sa }, 'https://from-file:6443', true],
    ['the pod', undefined, { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, homeConfig: nowhere.homeConfig, serviceAccountDir: sa }, 'https://10.0.0.1:443', true],
    ['an exec plugin, through KubeConfig', execFile, { env: {}, ...nowhere }, 'https://exec:6443', false],
  ])('%s', async (_name, path, sources, server, plain) => {
    const creds = await loadKubeCredentials(path, sources);
    expect(creds.getCurrentCluster()?.server).toBe(server);
    expect(creds instanceof PlainCredentials).toBe(plain);
  });
});
