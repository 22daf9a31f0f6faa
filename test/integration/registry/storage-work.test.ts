/**
 * Issue 9: how much storage work one request does, counted by a driver wrapper under the real server (listening on
 * a port, spoken to over HTTP). A mount without `from` costs the same with 1,000 repositories as with none, and a
 * referrers page reads only the descriptors it returns, however many and however large the referrers are.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG } from '../../../src/shared/registry-config.js';
import { startRegistry, type RunningRegistry } from '../../../src/registry/server.js';
import { MemoryDriver } from '../../../src/registry/storage/drivers/memory.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { countingDriver, type StorageCall } from '../../helpers/counting-driver.js';
import { Client } from '../../helpers/registry-app.js';

const PAGE_BYTES = 256 * 1024;
const OCI = 'application/vnd.oci.image.manifest.v1+json';

let running: RunningRegistry;
let calls: StorageCall[];
let c: Client;

beforeAll(async () => {
  const counted = countingDriver(new MemoryDriver());
  calls = counted.calls;
  const config = {
    ...DEFAULT_CONFIG,
    http: { ...DEFAULT_CONFIG.http, addr: '127.0.0.1:0' },
    storage: { ...DEFAULT_CONFIG.storage, driver: 'memory' as const },
    limits: { ...DEFAULT_CONFIG.limits, referrersPageMaxBytes: PAGE_BYTES },
  };
  running = await startRegistry({ config, logger: silentLogger(), driver: counted.driver });
  c = new Client(`http://${running.address}`);
});

afterAll(async () => {
  await running?.close();
});

/** The storage calls `fn` makes. */
async function callsOf(fn: () => Promise<unknown>): Promise<StorageCall[]> {
  const before = calls.length;
  await fn();
  return calls.slice(before);
}

test('a mount without from makes the same storage calls with 1,000 repositories holding the blob as with none, and none outside its upload session', async () => {
  const digest = await c.pushBlob('first/holder', 'shared layer');
  const lonely = await c.pushBlob('lonely', 'a layer in one repository');
  const before = await callsOf(() => c.req('POST', `/v2/target/a/blobs/uploads/?mount=${lonely}`));
  for (let i = 1; i < 1000; i++) {
    expect((await c.req('POST', `/v2/holders/r${i}/blobs/uploads/?mount=${digest}&from=first/holder`)).status).toBe(201);
  }
  const after = await callsOf(() => c.req('POST', `/v2/target/b/blobs/uploads/?mount=${digest}`));
  // nothing outside the new upload session is touched: no repository, no blob, no listing of either
  expect(after.filter((x) => !x.path.startsWith('uploads/'))).toEqual([]);
  expect(after.length).toBe(before.length);
});

test('a referrers page over 40 referrers of ~200 KB each reads only the descriptors it returns', async () => {
  const subject = await c.pushImage('refs/big', 'v1');
  const empty = await c.pushBlob('refs/big', '{}');
  const pushed: string[] = [];
  for (let i = 0; i < 40; i++) {
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: OCI, artifactType: 'application/vnd.example.sbom',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 }, layers: [],
      subject: { mediaType: OCI, digest: subject.digest, size: subject.size },
      annotations: { n: String(i), blob: 'x'.repeat(200_000) },
    });
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    expect((await c.req('PUT', `/v2/refs/big/manifests/${digest}`, { body, headers: { 'Content-Type': OCI } })).status).toBe(201);
    pushed.push(digest);
  }
  const seen: string[] = [];
  let next: string | undefined = `/v2/refs/big/referrers/${subject.digest}`;
  while (next) {
    const path: string = next;
    let text = '';
    let link: string | undefined;
    const made = await callsOf(async () => {
      const res = await c.req('GET', path);
      expect(res.status).toBe(200);
      text = res.text;
      link = res.headers.link as string | undefined;
    });
    const manifests = (JSON.parse(text) as { manifests: Array<{ digest: string }> }).manifests;
    const reads = made.filter((x) => x.method === 'get' && x.path.includes('/_referrers/'));
    expect(manifests.length).toBe(1);
    expect(reads.length).toBe(manifests.length);
    expect(Buffer.byteLength(text)).toBeLessThan(PAGE_BYTES);
    seen.push(...manifests.map((m) => m.digest));
    next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
  }
  expect(seen).toEqual([...pushed].sort());
  expect(new Set(seen).size).toBe(40);
  // a smaller n and an artifactType filter still read at most n descriptors
  const made = await callsOf(() => c.req('GET', `/v2/refs/big/referrers/${subject.digest}?n=3&artifactType=application/vnd.other`));
  expect(made.filter((x) => x.method === 'get' && x.path.includes('/_referrers/')).length).toBeLessThanOrEqual(3);
}, 60_000);
