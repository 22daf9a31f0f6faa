/**
 * Real registry clients against a real registry process (`berth serve`; Distribution with
 * BERTH_TEST_REGISTRY=distribution): skopeo, podman, crane, oras, regctl and containerd's ctr. Test images are
 * written locally as OCI layouts (no network). Every test checks what a user would check: digests survive the
 * round trip, pulled files have the pushed bytes, deleted content is gone — read back over plain HTTP.
 */
import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startContainerd, type ContainerdProcess } from '../../helpers/containerd.js';
import {
  chainId,
  createTestImage,
  layerFiles,
  readLayoutBlob,
  type TestImage,
  type TestImageOptions,
} from '../../helpers/oci-layout.js';
import { createPrivatePodman, type PrivatePodman } from '../../helpers/podman.js';
import { expectImageInRegistry, expectLayoutHoldsImage } from '../../helpers/image-checks.js';
import { fetchBlob, fetchManifest, fetchTags } from '../../helpers/registry-http.js';
import { startRegistryUnderTest, type RegistryUnderTest } from '../../helpers/registry-under-test.js';
import { run, runOk, tool } from '../../helpers/tools.js';

jest.setTimeout(180_000);

let registry: RegistryUnderTest;
/** Every temporary directory this file made, removed at the end. */
const scratch: string[] = [];

beforeAll(async () => {
  registry = await startRegistryUnderTest();
});

afterAll(async () => {
  await registry?.stop();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-${name}-`));
  scratch.push(dir);
  return dir;
}

async function testImage(options: TestImageOptions): Promise<TestImage> {
  const image = await createTestImage(options);
  scratch.push(image.dir);
  return image;
}

const amd64 = (image: TestImage) => image.images.find((i) => i.platform.architecture === 'amd64')!;
const arm64 = (image: TestImage) => image.images.find((i) => i.platform.architecture === 'arm64')!;

const inRegistry = (repo: string, tag: string, image: TestImage) =>
  expectImageInRegistry(registry.url, repo, tag, image);

describe('skopeo', () => {
  const skopeo = (args: string[]) => runOk(tool('skopeo'), args);
  let image: TestImage;
  let ref: string;

  beforeAll(async () => {
    image = await testImage({ tag: 'v1', seed: 'skopeo' });
    ref = `docker://${registry.host}/skopeo/multi:v1`;
  });

  test('copy --all pushes the multi-architecture index from an oci: layout with every digest intact', async () => {
    await skopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', image.reference, ref]);
    await inRegistry('skopeo/multi', 'v1', image);
  });

  test('inspect --raw returns the exact index bytes, and inspect resolves the arm64 image', async () => {
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', ref]);
    expect(Buffer.from(raw)).toEqual(await readLayoutBlob(image.dir, image.index.digest));
    const info = JSON.parse(
      await skopeo(['inspect', '--tls-verify=false', '--override-arch', 'arm64', '--override-os', 'linux', ref]),
    ) as { Digest: string; Architecture: string; Layers: string[] };
    expect(info).toEqual(
      expect.objectContaining({
        Digest: image.index.digest,
        Architecture: 'arm64',
        Layers: arm64(image).layers.map((l) => l.descriptor.digest),
      }),
    );
  });

  test('copy --all from the registry into an oci: layout reproduces every blob and file', async () => {
    const out = await tempDir('skopeo-oci');
    await skopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', ref, `oci:${out}:pulled`]);
    await expectLayoutHoldsImage(out, image, 'pulled');
    const layer = await readLayoutBlob(out, arm64(image).layers[0]!.descriptor.digest);
    expect(layerFiles(layer).get('etc/berth/platform')?.toString()).toBe('linux/arm64\n');
  });

  test('copy of one platform into a dir: layout keeps its manifest and layers', async () => {
    const out = await tempDir('skopeo-dir');
    const platform = ['--override-arch', 'arm64', '--override-os', 'linux'];
    await skopeo(['copy', '--src-tls-verify=false', ...platform, ref, `dir:${out}`]);
    const manifest = await readFile(join(out, 'manifest.json'));
    expect(manifest).toEqual(await readLayoutBlob(image.dir, arm64(image).manifest.digest));
    for (const layer of arm64(image).layers) {
      const hex = layer.descriptor.digest.split(':')[1]!;
      expect(await readFile(join(out, hex))).toEqual(await readLayoutBlob(image.dir, layer.descriptor.digest));
    }
  });

  test('delete removes the manifest: neither the tag nor the digest resolves afterwards', async () => {
    await skopeo(['delete', '--tls-verify=false', ref]);
    expect((await fetchManifest(registry.url, 'skopeo/multi', 'v1')).status).toBe(404);
    expect((await fetchManifest(registry.url, 'skopeo/multi', image.index.digest)).status).toBe(404);
    const inspect = await run(tool('skopeo'), ['inspect', '--raw', '--tls-verify=false', ref]);
    expect(inspect.code).not.toBe(0);
  });
});

describe('podman (rootful, plain HTTP)', () => {
  let podman: PrivatePodman;
  let image: TestImage;
  let imageId: string;
  const remote = () => `${registry.host}/podman/image:v1`;

  beforeAll(async () => {
    podman = await createPrivatePodman();
    image = await testImage({ tag: 'v1', seed: 'podman', layerSize: 256 * 1024 });
    imageId = (await podman.podman(['pull', '--quiet', '--arch', 'amd64', image.reference])).trim();
  });

  afterAll(async () => {
    await podman?.cleanup();
  });

  test('the image loaded from the oci: layout has the config digest as its ID', () => {
    expect(`sha256:${imageId}`).toBe(amd64(image).config.digest);
  });

  test('push stores a manifest whose config is the local image', async () => {
    await podman.podman(['push', '--tls-verify=false', imageId, remote()]);
    const manifest = await fetchManifest(registry.url, 'podman/image', 'v1');
    expect(manifest.status).toBe(200);
    const config = (JSON.parse(manifest.body.toString()) as { config: { digest: string } }).config.digest;
    expect(config).toBe(amd64(image).config.digest);
    expect(await fetchBlob(registry.url, 'podman/image', config)).toEqual(
      await readLayoutBlob(image.dir, amd64(image).config.digest),
    );
  });

  test('pull after removing the local copy brings back the same image and files', async () => {
    await podman.podman(['rmi', '--force', imageId]);
    const pulled = (await podman.podman(['pull', '--quiet', '--tls-verify=false', remote()])).trim();
    expect(pulled).toBe(imageId);
    const root = (await podman.podman(['image', 'mount', remote()])).trim();
    try {
      expect(await readFile(join(root, 'etc/berth/platform'), 'utf8')).toBe('linux/amd64\n');
      const payload = amd64(image).layers[1]!.files.get('data/payload-1.bin')!;
      expect(await readFile(join(root, 'data/payload-1.bin'))).toEqual(payload);
    } finally {
      await podman.podman(['image', 'unmount', remote()]);
    }
  });
});

describe('crane', () => {
  const crane = (args: string[]) => runOk(tool('crane'), [...args, '--insecure']);
  let image: TestImage;
  const at = (repo: string, ref = ':v1') => `${registry.host}/${repo}${ref}`;

  beforeAll(async () => {
    image = await testImage({ tag: 'v1', seed: 'crane' });
  });

  test('push of an oci layout keeps the index digest; digest agrees', async () => {
    const pushed = await crane(['push', image.dir, at('crane/image')]);
    expect(pushed.trim()).toBe(`${at('crane/image', '')}@${image.index.digest}`);
    expect((await crane(['digest', at('crane/image')])).trim()).toBe(image.index.digest);
    await inRegistry('crane/image', 'v1', image);
  });

  test('tag adds a tag that ls lists', async () => {
    await crane(['tag', at('crane/image'), 'v2']);
    expect((await crane(['ls', at('crane/image', '')])).trim().split('\n')).toEqual(['v1', 'v2']);
  });

  test('copy duplicates the whole index into another repository', async () => {
    await crane(['copy', at('crane/image'), at('crane/copy')]);
    await inRegistry('crane/copy', 'v1', image);
  });

  test('pull --format oci writes a layout with the same blobs', async () => {
    const out = join(await tempDir('crane-pull'), 'layout');
    await crane(['pull', '--format', 'oci', at('crane/copy'), out]);
    await expectLayoutHoldsImage(out, image);
  });

  test('catalog lists both repositories', async () => {
    const repos = (await crane(['catalog', registry.host])).trim().split('\n');
    expect(repos).toEqual(expect.arrayContaining(['crane/copy', 'crane/image']));
  });

  test('delete by digest makes the manifest unknown', async () => {
    await crane(['delete', at('crane/copy', `@${image.index.digest}`)]);
    expect((await fetchManifest(registry.url, 'crane/copy', image.index.digest)).status).toBe(404);
    expect((await fetchManifest(registry.url, 'crane/copy', 'v1')).status).toBe(404);
  });
});

describe('oras', () => {
  let work: string;
  const repo = () => `${registry.host}/oras/artifact`;
  const oras = (args: string[]) => runOk(tool('oras'), [...args, '--plain-http'], { cwd: work });
  const json = async <T>(args: string[]) => JSON.parse(await oras([...args, '--format', 'json'])) as T;
  let subject: string;

  beforeAll(async () => {
    work = await tempDir('oras');
    await writeFile(join(work, 'hello.txt'), 'hello from berth\n');
    await writeFile(join(work, 'signature.json'), '{"signed":true}\n');
    await writeFile(join(work, 'sbom.json'), '{"packages":[]}\n');
  });

  test('push stores an artifact with its artifactType', async () => {
    const pushed = await json<{ digest: string }>([
      'push', `${repo()}:v1`, '--artifact-type', 'application/vnd.berth.test.v1', 'hello.txt:text/plain',
    ]);
    subject = pushed.digest;
    const manifest = await fetchManifest(registry.url, 'oras/artifact', 'v1');
    expect(manifest.digest).toBe(subject);
    expect(JSON.parse(manifest.body.toString())).toMatchObject({ artifactType: 'application/vnd.berth.test.v1' });
  });

  test('artifacts attached with a subject are listed by discover, filtered by artifact type', async () => {
    const attach = (type: string, file: string) =>
      json<{ digest: string }>(['attach', `${repo()}:v1`, '--artifact-type', type, `${file}:application/json`]);
    const signature = await attach('application/vnd.berth.signature', 'signature.json');
    const sbom = await attach('application/vnd.berth.sbom', 'sbom.json');
    type Discovered = { referrers: Array<{ digest: string; artifactType: string }> };
    const all = await json<Discovered>(['discover', `${repo()}:v1`]);
    expect(all.referrers.map((r) => r.digest).sort()).toEqual([signature.digest, sbom.digest].sort());
    const filter = ['--artifact-type', 'application/vnd.berth.sbom'];
    const filtered = await json<Discovered>(['discover', `${repo()}:v1`, ...filter]);
    expect(filtered.referrers).toEqual([expect.objectContaining({ digest: sbom.digest })]);
    // With a referrers API, oras needs no fallback tag; without one it keeps the `sha256-<hex>` tag schema.
    const fallbackTag = `sha256-${subject.split(':')[1]}`;
    expect((await fetchTags(registry.url, 'oras/artifact')).includes(fallbackTag)).toBe(!registry.referrersApi);
  });

  test('pull writes the pushed file back', async () => {
    const out = await tempDir('oras-pull');
    await runOk(tool('oras'), ['pull', '--plain-http', '-o', out, `${repo()}:v1`]);
    expect(await readFile(join(out, 'hello.txt'), 'utf8')).toBe('hello from berth\n');
  });
});

describe('regctl', () => {
  let image: TestImage;
  const regctl = (args: string[]) => runOk(tool('regctl'), ['--host', `reg=${registry.host},tls=disabled`, ...args]);
  const at = (repo: string) => `${registry.host}/${repo}:v1`;

  beforeAll(async () => {
    image = await testImage({ tag: 'v1', seed: 'regctl' });
  });

  test('image copy from an oci directory and between repositories keeps the index digest', async () => {
    await regctl(['image', 'copy', `ocidir://${image.dir}:v1`, at('regctl/source')]);
    await regctl(['image', 'copy', at('regctl/source'), at('regctl/copy')]);
    await inRegistry('regctl/copy', 'v1', image);
    expect((await regctl(['image', 'digest', at('regctl/copy')])).trim()).toBe(image.index.digest);
  });

  test('manifest get returns the exact index bytes; tag ls lists the tag', async () => {
    const raw = await regctl(['manifest', 'get', '--format', 'raw-body', at('regctl/copy')]);
    expect(Buffer.from(raw)).toEqual(await readLayoutBlob(image.dir, image.index.digest));
    expect((await regctl(['tag', 'ls', `${registry.host}/regctl/copy`])).trim().split('\n')).toEqual(['v1']);
  });

  test('image inspect of the arm64 platform shows its config', async () => {
    const config = JSON.parse(await regctl(['image', 'inspect', '--platform', 'linux/arm64', at('regctl/copy')])) as {
      architecture: string;
      rootfs: { diff_ids: string[] };
    };
    expect(config.architecture).toBe('arm64');
    expect(config.rootfs.diff_ids).toEqual(arm64(image).layers.map((l) => l.diffId));
  });
});

describe('containerd (ctr, private daemon)', () => {
  let containerd: ContainerdProcess;
  let image: TestImage;
  const ref = () => `${registry.host}/containerd/image:v1`;

  beforeAll(async () => {
    containerd = await startContainerd();
    image = await testImage({ tag: 'v1', seed: 'containerd' });
    const copy = ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false'];
    await runOk(tool('skopeo'), [...copy, image.reference, `docker://${ref()}`]);
  });

  afterAll(async () => {
    await containerd?.stop();
  });

  test('images pull --plain-http fetches the index and unpacks the amd64 layers', async () => {
    await containerd.ctr(['images', 'pull', '--plain-http', '--platform', 'linux/amd64', ref()]);
    const listed = await containerd.ctr(['images', 'ls', `name==${ref()}`]);
    expect(listed).toContain(image.index.digest);
    // containerd verifies every blob against its digest before committing it to its content store.
    const content = await containerd.ctr(['content', 'ls', '--quiet']);
    for (const d of [amd64(image).manifest, amd64(image).config, ...amd64(image).layers.map((l) => l.descriptor)]) {
      expect(content).toContain(d.digest);
    }
    const snapshots = await containerd.ctr(['snapshots', 'ls']);
    expect(snapshots).toContain(chainId(amd64(image).layers.map((l) => l.diffId)));
  });
});
