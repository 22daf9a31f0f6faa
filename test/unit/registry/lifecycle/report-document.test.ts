import { describe, expect, it } from '@jest/globals';
import { Value } from '@sinclair/typebox/value';
import { usageReportDocument } from '../../../../src/registry/lifecycle/report-document.js';
import { lifecycleStatus } from '../../../../src/operator/access/lifecycle-status.js';
import { UsageReportDocumentSchema } from '../../../../src/shared/schemas/report.js';
import type { RepositoryReport } from '../../../../src/registry/lifecycle/index.js';

const T = Date.parse('2026-12-01T10:00:00Z');

describe('the usage report, registry → ConfigMap → Repository status', () => {
  const figures = new Map<string, RepositoryReport>([
    ['team/a', { bytes: 1536, tags: 2, lastPushMs: T, quotaBytes: 4096 }],
    ['team/b', { bytes: 0, tags: 0, lastPushMs: undefined, retention: { repository: 'team/b', dryRun: true, atMs: T, tags: ['old'], manifests: ['sha256:x'] } }],
  ]);

  it('is a valid document with every repository', () => {
    const doc = usageReportDocument(figures, T, 'pod-1');
    expect(Value.Check(UsageReportDocumentSchema, doc)).toBe(true);
    expect(doc).toEqual({
      observedTime: '2026-12-01T10:00:00.000Z',
      reporter: 'pod-1',
      repositories: {
        'team/a': { bytes: 1536, tags: 2, lastPushTime: '2026-12-01T10:00:00.000Z', quotaBytes: 4096 },
        'team/b': { bytes: 0, tags: 0, retention: { time: '2026-12-01T10:00:00.000Z', dryRun: true, deletedTags: 1, deletedManifests: 1, tags: ['old'] } },
      },
    });
  });

  it('leaves repositories out (and says so) to stay within the size bound', () => {
    const many = new Map<string, RepositoryReport>(Array.from({ length: 100 }, (_, i) => [`r/${String(i).padStart(3, '0')}`, { bytes: i, tags: 1, lastPushMs: T }]));
    const doc = usageReportDocument(many, T, undefined, 2000);
    expect(doc.truncated).toBe(true);
    expect(JSON.stringify(doc).length).toBeLessThanOrEqual(2000);
    expect(Object.keys(doc.repositories)[0]).toBe('r/000');
    expect(Object.keys(doc.repositories).length).toBeLessThan(100);
  });

  it.each([
    [
      'usage with quota and last push',
      { bytes: 1536, tags: 2, lastPushTime: '2026-12-01T10:00:00.000Z', quotaBytes: 4096 },
      { usage: { bytes: 1536, size: '1.5 KiB', tags: 2, lastPushTime: '2026-12-01T10:00:00.000Z', quotaBytes: 4096, observedTime: 'OBS' } },
    ],
    ['nothing pushed yet', undefined, { usage: { bytes: 0, size: '0 B', tags: 0, observedTime: 'OBS' } }],
    [
      'a retention dry run',
      { bytes: 10, tags: 1, retention: { time: 'RUN', dryRun: true, deletedTags: 3, deletedManifests: 2, tags: ['a', 'b', 'c'] } },
      {
        usage: { bytes: 10, size: '10 B', tags: 1, observedTime: 'OBS' },
        retention: { lastRunTime: 'RUN', dryRun: true, deletedTags: 3, deletedManifests: 2, tags: ['a', 'b', 'c'] },
      },
    ],
  ])('status from %s', (_name, report, expected) => {
    expect(lifecycleStatus(report, 'OBS')).toEqual(expected);
  });
});
