/**
 * A validating admission webhook served by the test on loopback, registered with the real API server, that
 * answers the first requests with chosen HTTP errors (500, 409, …) and then allows everything. The API server
 * returns those errors to the operator, as it would when etcd hiccups or a write races another one.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from './cluster.js';

const run = promisify(execFile);

export interface FlakyWebhook {
  /** When each admission request of the user arrived (ms since epoch), with the code answered (200 = allowed). */
  calls: Array<{ at: number; code: number }>;
  close(): Promise<void>;
}

async function selfSignedCert(dir: string): Promise<{ key: string; cert: string }> {
  const key = join(dir, 'webhook.key');
  const cert = join(dir, 'webhook.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
}

/**
 * Registers a webhook on Deployment writes in namespaces labelled `berth-test/flaky=true`; requests made by `user`
 * get the answers in `failures`, in turn, then are allowed (other users' requests are always allowed).
 */
export async function startFlakyWebhook(cluster: Cluster, user: string, failures: number[]): Promise<FlakyWebhook> {
  const tls = await selfSignedCert(cluster.dir);
  const calls: FlakyWebhook['calls'] = [];
  const server = https.createServer(tls, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as { request: { uid: string; userInfo: { username: string } } };
      const fromOperator = review.request.userInfo.username === user;
      const code = fromOperator ? (failures[calls.length] ?? 200) : 200;
      if (fromOperator) calls.push({ at: Date.now(), code });
      const response =
        code === 200
          ? { uid: review.request.uid, allowed: true }
          : { uid: review.request.uid, allowed: false, status: { code, message: `injected ${code}`, reason: code === 409 ? 'Conflict' : 'InternalError' } };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const config = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'berth-test-flaky' },
    webhooks: [
      {
        name: 'flaky.berth-test.dev',
        clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle: Buffer.from(tls.cert).toString('base64') },
        rules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }],
        namespaceSelector: { matchLabels: { 'berth-test/flaky': 'true' } },
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 5,
      },
    ],
  };
  await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(config) });
  return {
    calls,
    close: async () => {
      await cluster.kubectl(['delete', 'validatingwebhookconfiguration', 'berth-test-flaky', '--ignore-not-found']);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
