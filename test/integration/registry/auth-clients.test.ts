/**
 * Real clients against `berth serve` with the token service on, credentials given both ways people give them: on
 * the command line (`--creds user:pass`, `-u/-p`, `ctr --user`) and as an auth file in docker `config.json` form
 * (`auths` → `host:port` → `auth`). Each client pushes as a user that may push, pulls back as a pull-only robot
 * whose push is refused, and anonymous access to the private repository fails. Then both OCI conformance suites
 * run with OCI_USERNAME/OCI_PASSWORD.
 */
import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCounts, formatOutcome, runGinkgoConformance, runMainConformance, type ConformanceOutcome } from '../../helpers/conformance.js';
import { startContainerd, type ContainerdProcess } from '../../helpers/containerd.js';
import { createTestImage, type TestImage } from '../../helpers/oci-layout.js';
import { createPrivatePodman, type PrivatePodman } from '../../helpers/podman.js';
import { run, runOk, tool } from '../../helpers/tools.js';
import { PASSWORDS, SECRETS, basic, call, startAuthRegistry, tokenFor, type AuthRegistry } from './auth-fixture.js';

jest.setTimeout(240_000);

let r: AuthRegistry;
const scratch: string[] = [];
const ALICE = `alice:${PASSWORDS.alice}`;
const READER = `reader:${SECRETS.reader}`;

beforeAll(async () => {
  r = await startAuthRegistry();
});

afterAll(async () => {
  await r?.stop();
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-authcli-${name}-`));
  scratch.push(dir);
  return dir;
}

async function testImage(seed: string): Promise<TestImage> {
  const image = await createTestImage({ tag: 'v1', seed, layersPerImage: 1, layerSize: 16 * 1024 });
  scratch.push(image.dir);
  return image;
}

/** A docker config.json (`auths` → host → base64 user:pass) in a new folder; returns the folder. */
async function dockerConfig(userPass: string): Promise<string> {
  const dir = await tempDir('dockercfg');
  const auths = { [r.host]: { auth: Buffer.from(userPass).toString('base64') } };
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths }));
  return dir;
}

/** The digest the registry holds for repo:v1, read with the reader robot's token. */
async function digestOf(repo: string): Promise<string | null> {
  const token = await tokenFor(r.url, [`repository:${repo}:pull`], basic('reader', SECRETS.reader));
  const accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';
  const res = await call(r.url, 'HEAD', `/v2/${repo}/manifests/v1`, token, undefined, { Accept: accept });
  return res.status === 200 ? res.headers.get('docker-content-digest') : null;
}

async function expectFails(cmd: string, args: string[], pattern: RegExp, env: Record<string, string> = {}, cwd?: string): Promise<void> {
  const res = await run(cmd, args, { env, ...(cwd ? { cwd } : {}) });
  expect(res.code).not.toBe(0);
  expect(`${res.stdout}\n${res.stderr}`).toMatch(pattern);
}

const REFUSED = /denied|unauthori[sz]ed|403|401|forbidden|authentication required/i;

describe('skopeo', () => {
  const skopeo = tool('skopeo');
  test('--dest-creds push, --authfile pull as a pull-only robot; its push and an anonymous read are refused', async () => {
    const image = await testImage('skopeo-auth');
    const ref = `docker://${r.host}/team/skopeo:v1`;
    await runOk(skopeo, ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', ALICE, image.reference, ref]);
    expect(await digestOf('team/skopeo')).toBe(image.index.digest);
    const authfile = join(await dockerConfig(READER), 'config.json');
    const raw = await runOk(skopeo, ['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, ref]);
    expect(Buffer.from(raw).toString()).toContain(image.images[0]!.manifest.digest);
    await expectFails(skopeo, ['copy', '--all', '--dest-tls-verify=false', '--dest-authfile', authfile, image.reference, `docker://${r.host}/team/skopeo:v2`], REFUSED);
    await expectFails(skopeo, ['inspect', '--raw', '--tls-verify=false', '--no-creds', ref], REFUSED);
    await expectFails(skopeo, ['inspect', '--raw', '--tls-verify=false', '--creds', 'alice:not-her-password', ref], REFUSED);
  });
});

describe('podman', () => {
  let podman: PrivatePodman;
  beforeAll(async () => {
    podman = await createPrivatePodman();
  });
  afterAll(async () => {
    await podman?.cleanup();
  });

  test('push with --creds, pull with --authfile as the robot; the robot cannot push', async () => {
    const image = await testImage('podman-auth');
    const id = (await podman.podman(['pull', '--quiet', '--arch', 'amd64', image.reference])).trim();
    const remote = `${r.host}/team/podman:v1`;
    await podman.podman(['push', '--tls-verify=false', '--creds', ALICE, id, remote]);
    expect(await digestOf('team/podman')).not.toBeNull();
    await podman.podman(['rmi', '--force', id]);
    const authfile = join(await dockerConfig(READER), 'config.json');
    const pulled = (await podman.podman(['pull', '--quiet', '--tls-verify=false', '--authfile', authfile, remote])).trim();
    expect(pulled).toBe(id);
    await expect(podman.podman(['push', '--tls-verify=false', '--authfile', authfile, id, `${r.host}/team/podman:v2`])).rejects.toThrow(REFUSED);
  });
});

describe('crane', () => {
  const crane = tool('crane');
  test('auth login then push; a hand-written config.json for the robot pulls but cannot push', async () => {
    const image = await testImage('crane-auth');
    const aliceCfg = await tempDir('crane-alice');
    await runOk(crane, ['auth', 'login', r.host, '-u', 'alice', '-p', PASSWORDS.alice, '--insecure'], { env: { DOCKER_CONFIG: aliceCfg } });
    await runOk(crane, ['push', image.dir, `${r.host}/team/crane:v1`, '--insecure'], { env: { DOCKER_CONFIG: aliceCfg } });
    expect(await digestOf('team/crane')).toBe(image.index.digest);
    const robot = { DOCKER_CONFIG: await dockerConfig(READER) };
    expect((await runOk(crane, ['digest', `${r.host}/team/crane:v1`, '--insecure'], { env: robot })).trim()).toBe(image.index.digest);
    await expectFails(crane, ['tag', `${r.host}/team/crane:v1`, 'v2', '--insecure'], REFUSED, robot);
    const catalog = await runOk(crane, ['catalog', r.host, '--insecure'], { env: { DOCKER_CONFIG: aliceCfg } });
    expect(catalog.split('\n')).toContain('team/crane');
  });
});

describe('oras', () => {
  const oras = tool('oras');
  test('push with -u/-p, pull with --registry-config as the robot; the robot cannot push', async () => {
    const work = await tempDir('oras');
    await writeFile(join(work, 'hello.txt'), 'hello with auth\n');
    const ref = `${r.host}/team/oras:v1`;
    await runOk(oras, ['push', '--plain-http', '-u', 'alice', '-p', PASSWORDS.alice, ref, 'hello.txt:text/plain'], { cwd: work });
    const cfg = join(await dockerConfig(READER), 'config.json');
    const out = await tempDir('oras-out');
    await runOk(oras, ['pull', '--plain-http', '--registry-config', cfg, '-o', out, ref]);
    expect(await readFile(join(out, 'hello.txt'), 'utf8')).toBe('hello with auth\n');
    await expectFails(oras, ['push', '--plain-http', '--registry-config', cfg, `${r.host}/team/oras:v2`, 'hello.txt:text/plain'], REFUSED, {}, work);
  });
});

describe('regctl', () => {
  const regctl = tool('regctl');
  test('registry login then copy; docker config.json credentials for the robot pull but cannot push', async () => {
    const image = await testImage('regctl-auth');
    const home = await tempDir('regctl-home');
    const asAlice = { HOME: home };
    await runOk(regctl, ['registry', 'set', '--tls', 'disabled', r.host], { env: asAlice });
    await runOk(regctl, ['registry', 'login', '-u', 'alice', '-p', PASSWORDS.alice, r.host], { env: asAlice });
    await runOk(regctl, ['image', 'copy', `ocidir://${image.dir}:v1`, `${r.host}/team/regctl:v1`], { env: asAlice });
    expect(await digestOf('team/regctl')).toBe(image.index.digest);
    const robotHome = await tempDir('regctl-robot');
    const asRobot = { HOME: robotHome, DOCKER_CONFIG: await dockerConfig(READER) };
    const host = ['--host', `reg=${r.host},tls=disabled`];
    expect((await runOk(regctl, [...host, 'image', 'digest', `${r.host}/team/regctl:v1`], { env: asRobot })).trim()).toBe(image.index.digest);
    await expectFails(regctl, [...host, 'image', 'copy', `${r.host}/team/regctl:v1`, `${r.host}/team/regctl:v2`], REFUSED, asRobot);
  });
});

describe('containerd ctr', () => {
  let containerd: ContainerdProcess;
  beforeAll(async () => {
    containerd = await startContainerd();
  });
  afterAll(async () => {
    await containerd?.stop();
  });

  test('images pull --user as the robot; without credentials the pull fails', async () => {
    const image = await testImage('ctr-auth');
    await runOk(tool('skopeo'), ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', ALICE, image.reference, `docker://${r.host}/team/ctr:v1`]);
    const ref = `${r.host}/team/ctr:v1`;
    await expect(containerd.ctr(['images', 'pull', '--plain-http', '--platform', 'linux/amd64', ref])).rejects.toThrow(REFUSED);
    await containerd.ctr(['images', 'pull', '--plain-http', '--platform', 'linux/amd64', '--user', READER, ref]);
    expect(await containerd.ctr(['images', 'ls', `name==${ref}`])).toContain(image.index.digest);
  });
});

describe('OCI conformance with auth on', () => {
  function expectConformant(outcome: ConformanceOutcome): void {
    console.log(`[auth on] ${formatCounts(outcome)}`);
    if (outcome.passed === 0) throw new Error(`${formatCounts(outcome)}: the suite ran no spec`);
    if (outcome.failed > 0 || outcome.exitCode !== 0) throw new Error(formatOutcome(outcome));
  }
  const target = () => ({ url: r.url, username: 'tester', password: PASSWORDS.tester });

  test('released Ginkgo suite, every workflow, with OCI_USERNAME/OCI_PASSWORD', async () => {
    expectConformant(await runGinkgoConformance(target()));
  }, 900_000);

  test('main-branch suite with OCI_USERNAME/OCI_PASSWORD', async () => {
    expectConformant(await runMainConformance(target()));
  }, 900_000);
});
