import {
  blobPath,
  isValidUploadId,
  layerLinkPath,
  manifestRevisionPath,
  referrerPath,
  slotPath,
  slotsDir,
  tagPath,
  uploadDataPath,
} from '../../../../src/registry/storage/paths.js';
import { slotKey } from '../../../../src/registry/storage/upload-slots.js';

const a = { algorithm: 'sha256' as const, hex: 'ab' + 'c'.repeat(62) };
const b = { algorithm: 'sha512' as const, hex: 'd'.repeat(128) };

test.each([
  [blobPath(a), `blobs/sha256/ab/${a.hex}`],
  [layerLinkPath('team/app', a), `repositories/team/app/_layers/sha256/${a.hex}`],
  [manifestRevisionPath('x', b), `repositories/x/_manifests/revisions/sha512/${b.hex}`],
  [tagPath('team/app', 'v1'), 'repositories/team/app/_manifests/tags/v1'],
  [referrerPath('x', a, b), `repositories/x/_referrers/sha256/${a.hex}/sha512-${b.hex}`],
  [uploadDataPath('id'), 'uploads/id/data'],
  [slotsDir('principal'), 'uploads/_slots/principal'],
  [slotsDir('repository', 'k'), 'uploads/_slots/repository/k'],
  [slotPath('principal', 'k', 'id'), 'uploads/_slots/principal/k/id'],
])('%s', (actual, expected) => expect(actual).toBe(expected));

test.each([
  ['0f8fad5b-d9cb-469f-a165-70867728950e', true],
  ['../../etc', false],
  ['0F8FAD5B-D9CB-469F-A165-70867728950E', false],
  ['', false],
])('upload id %j valid: %s', (id, ok) => expect(isValidUploadId(id)).toBe(ok));

test.each([
  ['team/app', /^[0-9a-f]{40}$/],
  ['user:evil user/../x', /^[0-9a-f]{40}$/],
  ['address:::1', /^[0-9a-f]{40}$/],
])('slot key of %j is one path-safe segment', (value, re) => expect(slotKey(value)).toMatch(re));

test('the slots folder is never taken for an upload session', () => expect(isValidUploadId('_slots')).toBe(false));
