/**
 * Manifest validation: a pure function from the pushed bytes and Content-Type to what the store needs to know
 * (media type, referenced blobs and child manifests, subject, the descriptor a referrers list shows).
 */
import { RegistryError } from '../errors.js';
import { parseDigest, type Digest } from './digest.js';
import {
  baseMediaType,
  INDEX_TYPES,
  MANIFEST_TYPES,
  MEDIA_TYPES,
  NON_DISTRIBUTABLE_LAYER_TYPES,
  type ManifestType,
} from './media-types.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: ManifestType;
  /** Blobs that must exist in the repository (config and distributable layers). */
  blobs: Digest[];
  /** Manifests that must exist in the repository (children of an index). */
  children: Digest[];
  subject: Digest | undefined;
  /** What a referrers list shows for this manifest: its artifactType, else an image's config media type. */
  artifactType: string | undefined;
  annotations: Record<string, string> | undefined;
}

type Json = Record<string, unknown>;

function invalid(message: string): RegistryError {
  return new RegistryError('MANIFEST_INVALID', message);
}

function descriptor(value: unknown, where: string): Descriptor & { parsed: Digest } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where} is not a descriptor`);
  const d = value as Json;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw invalid(`${where}.mediaType is missing`);
  if (typeof d.digest !== 'string') throw invalid(`${where}.digest is missing`);
  const parsed = parseDigest(d.digest);
  if (!parsed) throw invalid(`${where}.digest is not a valid digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalid(`${where}.size is not a non-negative integer`);
  }
  return { ...(d as unknown as Descriptor), parsed };
}

function descriptors(value: unknown, where: string): Array<Descriptor & { parsed: Digest }> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(`${where} is not a list`);
  return value.map((v, i) => descriptor(v, `${where}[${i}]`));
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where} is not a map`);
  for (const v of Object.values(value)) if (typeof v !== 'string') throw invalid(`${where} values must be strings`);
  return value as Record<string, string>;
}

/** Decides the manifest's media type from the Content-Type and the body's own `mediaType`. */
function manifestType(contentType: string | undefined, body: Json): ManifestType {
  const header = baseMediaType(contentType);
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  if (header === MEDIA_TYPES.dockerSchema1 || header === MEDIA_TYPES.dockerSchema1Signed || body.schemaVersion === 1) {
    throw invalid('Docker schema 1 manifests are not supported; push schema 2 or OCI');
  }
  const generic = header === '' || header === 'application/json' || header === 'application/octet-stream';
  const type = generic ? declared : header;
  if (type === undefined) throw invalid('manifest media type unknown: set Content-Type or mediaType');
  if (!(MANIFEST_TYPES as readonly string[]).includes(type)) throw invalid(`unsupported manifest media type ${type}`);
  if (declared !== undefined && declared !== type) {
    throw invalid(`mediaType ${declared} in the body does not match Content-Type ${type}`);
  }
  return type as ManifestType;
}

/** Parses and checks a pushed manifest; throws MANIFEST_INVALID with a message that says what is wrong. */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('manifest is not a JSON object');
  const json = body as Json;
  const mediaType = manifestType(contentType, json);
  if (json.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const subject = json.subject === undefined ? undefined : descriptor(json.subject, 'subject').parsed;
  const annotations = stringMap(json.annotations, 'annotations');
  if (json.artifactType !== undefined && typeof json.artifactType !== 'string') {
    throw invalid('artifactType must be a string');
  }
  const artifactType = json.artifactType as string | undefined;
  if (INDEX_TYPES.includes(mediaType)) {
    const manifests = descriptors(json.manifests, 'manifests');
    if (json.manifests === undefined) throw invalid('manifests is missing');
    return { mediaType, blobs: [], children: manifests.map((m) => m.parsed), subject, artifactType, annotations };
  }
  const config = descriptor(json.config, 'config');
  const layers = descriptors(json.layers, 'layers');
  if (json.layers === undefined && mediaType === MEDIA_TYPES.dockerManifest) throw invalid('layers is missing');
  const required = layers.filter((l) => !NON_DISTRIBUTABLE_LAYER_TYPES.includes(l.mediaType) && !l.urls?.length);
  return {
    mediaType,
    blobs: [config.parsed, ...required.map((l) => l.parsed)],
    children: [],
    subject,
    artifactType: artifactType ?? config.mediaType,
    annotations,
  };
}
