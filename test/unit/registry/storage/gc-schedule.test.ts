import type { GcItem, GcReport } from '../../../../src/registry/storage/gc/collector.js';
import { repositoriesWithDeletedManifests } from '../../../../src/registry/storage/gc/schedule.js';

const report = (deleted: GcItem[]): GcReport => ({
  dryRun: false, ran: true, startedAt: 0, durationMs: 0, repositories: 0, manifestsKept: 0, blobsDeleted: 0, bytesFreed: 0,
  manifestsDeleted: 0, linksDeleted: 0, broken: [], deleted,
});
const d = (c: string): string => `sha256:${c.repeat(64)}`;

test.each([
  ['nothing deleted', [], []],
  ['only blobs deleted: no usage changed', [{ kind: 'blob' as const, digest: d('a'), size: 3 }], []],
  [
    'manifests in two repositories, one twice',
    [
      { kind: 'manifest' as const, digest: d('a'), repository: 'team/app', size: 0 },
      { kind: 'blob' as const, digest: d('b'), size: 3 },
      { kind: 'manifest' as const, digest: d('c'), repository: 'team/app', size: 0 },
      { kind: 'manifest' as const, digest: d('e'), repository: 'other', size: 0 },
    ],
    ['team/app', 'other'],
  ],
])('repositoriesWithDeletedManifests: %s', (_name, deleted: GcItem[], expected) => {
  expect(repositoriesWithDeletedManifests(report(deleted))).toEqual(expected);
});
