/**
 * Assertions shared by the client tests: a test image (from {@link createTestImage}) compared byte for byte
 * with what a registry serves or what a client wrote into an OCI layout.
 */
import { readLayoutBlob, resolveLayoutTag, type TestImage } from './oci-layout.js';
import { fetchBlob, fetchManifest } from './registry-http.js';

/** Every manifest, config and layer digest of a test image, index first. */
export function imageDigests(image: TestImage): string[] {
  const digests = [image.index.digest];
  for (const i of image.images) {
    digests.push(i.manifest.digest, i.config.digest, ...i.layers.map((l) => l.descriptor.digest));
  }
  return digests;
}

/** Asserts the registry serves `image` as repo:tag: the index bytes, each platform manifest, a layer of each. */
export async function expectImageInRegistry(baseUrl: string, repo: string, tag: string, image: TestImage) {
  const index = await fetchManifest(baseUrl, repo, tag);
  expect(index.status).toBe(200);
  expect(index.digest).toBe(image.index.digest);
  expect(index.body).toEqual(await readLayoutBlob(image.dir, image.index.digest));
  for (const child of image.images) {
    expect((await fetchManifest(baseUrl, repo, child.manifest.digest)).digest).toBe(child.manifest.digest);
    const layer = child.layers[0]!.descriptor.digest;
    expect(await fetchBlob(baseUrl, repo, layer)).toEqual(await readLayoutBlob(image.dir, layer));
  }
}

/** Asserts the OCI layout `dir` holds `image` (under `tag`, or as its only entry) with every blob identical. */
export async function expectLayoutHoldsImage(dir: string, image: TestImage, tag?: string) {
  expect((await resolveLayoutTag(dir, tag)).digest).toBe(image.index.digest);
  for (const digest of imageDigests(image)) {
    expect(await readLayoutBlob(dir, digest)).toEqual(await readLayoutBlob(image.dir, digest));
  }
}
