import { parseDigest, type Digest } from '../../../../src/registry/oci/digest.js';
import type { ParsedManifest } from '../../../../src/registry/oci/manifest.js';
import { edgeBytes, edgeCache, edgeKey, manifestEdges, type ManifestEdges } from '../../../../src/registry/storage/gc/edge-cache.js';

const digest = (c: string): string => `sha256:${c.repeat(64)}`;
const parsed = (c: string): Digest => parseDigest(digest(c))!;

function manifest(over: Partial<ParsedManifest>): ParsedManifest {
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', blobs: [], children: [], subject: undefined, artifactType: undefined, annotations: undefined, ...over };
}

test.each([
  ['an image: config and layers', manifest({ blobs: [parsed('a'), parsed('b')] }), { blobs: [digest('a'), digest('b')], children: [] }],
  [
    'an index: children, no blobs',
    manifest({ mediaType: 'application/vnd.oci.image.index.v1+json', children: [parsed('c'), parsed('d')] }),
    { blobs: [], children: [digest('c'), digest('d')] },
  ],
  ['a referrer: its subject', manifest({ blobs: [parsed('e')], subject: parsed('f') }), { blobs: [digest('e')], children: [], subject: digest('f') }],
])('manifestEdges of %s', (_name, m, expected) => {
  expect(manifestEdges(m)).toEqual(expected);
});

test.each([
  ['a digest and its media type', digest('a'), 'application/vnd.oci.image.index.v1+json', `${digest('a')} application/vnd.oci.image.index.v1+json`],
  ['no media type recorded', digest('a'), undefined, digest('a')],
  ['an empty media type (as no media type)', digest('a'), '', digest('a')],
])('edgeKey: %s', (_name, d, mediaType, expected) => {
  expect(edgeKey(d, mediaType)).toBe(expected);
});

test('edgeKey tells apart one digest recorded with two media types', () => {
  expect(edgeKey(digest('a'), 'application/vnd.oci.image.index.v1+json')).not.toBe(edgeKey(digest('a'), 'application/vnd.oci.image.manifest.v1+json'));
});

test.each([
  ['no edges', { blobs: [], children: [] }, 0],
  ['three blobs', { blobs: [digest('a'), digest('b'), digest('c')], children: [] }, 3],
  ['a child and a subject', { blobs: [], children: [digest('a')], subject: digest('b') }, 2],
])('edgeBytes grows with the digests held: %s', (_name, edges: ManifestEdges, digests) => {
  const base = edgeBytes('k', { blobs: [], children: [] });
  expect(edgeBytes('k', edges) - base).toBe(digests * (71 + 24));
  expect(edgeBytes('kk', edges) - edgeBytes('k', edges)).toBe(1);
});

test('the cache drops the least recently used manifest beyond its count', () => {
  const c = edgeCache({ maxEntries: 2, maxBytes: 1_000_000 });
  const e = { blobs: [digest('a')], children: [] };
  c.set('x', e);
  c.set('y', e);
  c.get('x');
  c.set('z', e);
  expect([c.has('x'), c.has('y'), c.has('z')]).toEqual([true, false, true]);
});

test('the cache stays within its byte estimate', () => {
  const e = { blobs: [digest('a'), digest('b')], children: [] };
  const one = edgeBytes('k0', e);
  const c = edgeCache({ maxEntries: 1000, maxBytes: one * 3 });
  for (let i = 0; i < 10; i++) c.set(`k${i}`, e);
  expect(c.size).toBe(3);
  expect(c.calculatedSize).toBeLessThanOrEqual(one * 3);
  expect(c.has('k9')).toBe(true);
});
