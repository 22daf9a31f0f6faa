import { effectiveAllowedImages, imageMatches, imageProblem } from '../../../src/operator/registry/images.js';
import { planRegistry } from '../../../src/operator/registry/plan.js';
import { registry } from './registry-fixture.js';

describe('allowed images (issue 9)', () => {
  test.each<[string, string, boolean]>([
    ['berth:1', 'berth:1', true],
    ['berth:1', 'berth:2', false],
    ['berth:1', 'xberth:1', false],
    ['ghcr.io/berth/berth:*', 'ghcr.io/berth/berth:0.4.0', true],
    ['ghcr.io/berth/berth:*', 'ghcr.io/berth/berth-evil:1', false],
    ['ghcr.io/berth/*', 'ghcr.io/berth/berth@sha256:abc', true],
    ['ghcr.io/berth/*', 'ghcr.io/other/berth:1', false],
    ['registry.local/b.rth:1', 'registry.local/bxrth:1', false],
    ['*', 'anything/at:all', true],
  ])('%s allows %s: %s', (pattern, image, allowed) => {
    expect(imageMatches(pattern, image)).toBe(allowed);
  });

  test('the default is the operator\'s own image alone', () => {
    expect(effectiveAllowedImages(undefined, 'berth:1')).toEqual(['berth:1']);
    expect(effectiveAllowedImages([], 'berth:1')).toEqual(['berth:1']);
    expect(effectiveAllowedImages(['a:*'], 'berth:1')).toEqual(['a:*']);
    expect(effectiveAllowedImages(undefined, undefined)).toEqual([]);
    expect(imageProblem('x:1', [])).toMatch(/--allowed-images: \(none\)/);
  });

  test('an allowed spec.image is planned as asked', () => {
    const r = planRegistry(registry({ image: 'ghcr.io/berth/berth:2' }), { defaultImage: 'berth:1', allowedImages: ['ghcr.io/berth/berth:*'] });
    expect(r.ok).toBe(true);
  });
});
