import { parseManifest } from '../../../../src/registry/oci/manifest.js';
import { MEDIA_TYPES } from '../../../../src/registry/oci/media-types.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (mediaType: string, c: string, extra = {}) => ({ mediaType, digest: d(c), size: 1, ...extra });
const image = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: desc('application/vnd.oci.image.config.v1+json', 'a'),
  layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', 'b')],
  ...extra,
});
const buf = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('parseManifest accepts', () => {
  test('an OCI image: config and layers are required blobs', () => {
    const m = parseManifest(buf(image()), MEDIA_TYPES.ociManifest);
    expect(m.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(m.blobs.map((b) => b.hex[0])).toEqual(['a', 'b']);
    expect(m.artifactType).toBe('application/vnd.oci.image.config.v1+json');
  });

  test('media type from the body when Content-Type is generic or absent', () => {
    expect(parseManifest(buf(image()), undefined).mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(parseManifest(buf(image()), 'application/json').mediaType).toBe(MEDIA_TYPES.ociManifest);
  });

  test('Content-Type parameters are ignored', () => {
    expect(parseManifest(buf(image()), `${MEDIA_TYPES.ociManifest}; charset=utf-8`).mediaType).toBe(
      MEDIA_TYPES.ociManifest,
    );
  });

  test('non-distributable layers and layers with urls are not required', () => {
    const m = parseManifest(
      buf(
        image({
          layers: [
            desc('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'c'),
            desc('application/vnd.oci.image.layer.v1.tar', 'e', { urls: ['https://example.com/x'] }),
            desc('application/vnd.oci.image.layer.v1.tar', 'f'),
          ],
        }),
      ),
      MEDIA_TYPES.ociManifest,
    );
    expect(m.blobs.map((b) => b.hex[0])).toEqual(['a', 'f']);
  });

  test('subject and artifactType; unknown fields are kept', () => {
    const m = parseManifest(
      buf(image({ artifactType: 'application/x-sig', subject: desc(MEDIA_TYPES.ociManifest, 'c'), extra: { x: 1 } })),
      MEDIA_TYPES.ociManifest,
    );
    expect(m.subject?.hex[0]).toBe('c');
    expect(m.artifactType).toBe('application/x-sig');
  });

  test('an index: children are required manifests, no blobs', () => {
    const idx = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [desc(MEDIA_TYPES.ociManifest, 'c')] };
    const m = parseManifest(buf(idx), MEDIA_TYPES.ociIndex);
    expect(m.children.map((c) => c.hex[0])).toEqual(['c']);
    expect(m.blobs).toEqual([]);
    expect(m.artifactType).toBeUndefined();
  });

  test('a Docker schema 2 manifest and manifest list', () => {
    const dm = { ...image(), mediaType: MEDIA_TYPES.dockerManifest };
    expect(parseManifest(buf(dm), MEDIA_TYPES.dockerManifest).mediaType).toBe(MEDIA_TYPES.dockerManifest);
    const dl = { schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifestList, manifests: [] };
    expect(parseManifest(buf(dl), MEDIA_TYPES.dockerManifestList).children).toEqual([]);
  });

  test('an image with no layers', () => {
    expect(parseManifest(buf(image({ layers: [] })), MEDIA_TYPES.ociManifest).blobs).toHaveLength(1);
  });
});

describe('parseManifest refuses with MANIFEST_INVALID', () => {
  test.each<[string, Buffer, string | undefined, RegExp]>([
    ['broken JSON', Buffer.from('{"schemaVersion":'), MEDIA_TYPES.ociManifest, /not valid JSON/],
    ['a JSON array', buf([]), MEDIA_TYPES.ociManifest, /not a JSON object/],
    ['schema 1 by header', buf({ schemaVersion: 1 }), MEDIA_TYPES.dockerSchema1Signed, /schema 1/],
    ['schema 1 by body', buf({ schemaVersion: 1, name: 'x' }), 'application/json', /schema 1/],
    ['schemaVersion 3', buf(image({ schemaVersion: 3 })), MEDIA_TYPES.ociManifest, /schemaVersion/],
    ['unknown media type', buf({ schemaVersion: 2 }), 'application/x-foo', /unsupported manifest media type/],
    ['no media type at all', buf({ schemaVersion: 2 }), undefined, /media type unknown/],
    ['body and header disagree', buf(image()), MEDIA_TYPES.ociIndex, /does not match/],
    ['bad layer digest', buf(image({ layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] })), undefined, /layers\[0\]\.digest/],
    ['negative size', buf(image({ config: { mediaType: 'x', digest: d('a'), size: -1 } })), undefined, /config\.size/],
    ['missing config', buf(image({ config: undefined })), undefined, /config is not a descriptor/],
    ['index without manifests', buf({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex }), undefined, /manifests/],
    ['non-string annotation', buf(image({ annotations: { a: 1 } })), undefined, /annotations/],
  ])('%s', (_name, bytes, contentType, message) => {
    expect(() => parseManifest(bytes, contentType)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_INVALID', message: expect.stringMatching(message) }),
    );
  });
});
