import { gcReportDocument } from '../../../../src/registry/storage/gc/report-document.js';
import type { GcReport } from '../../../../src/registry/storage/gc/collector.js';
import { parseReportDocument } from '../../../../src/shared/report.js';
import { GcReportDocumentSchema } from '../../../../src/shared/schemas/report.js';

const startedAt = Date.parse('2030-01-02T03:04:05.000Z');

function report(over: Partial<GcReport> = {}): GcReport {
  return {
    dryRun: false, ran: true, startedAt, durationMs: 2500, repositories: 2, manifestsKept: 4, blobsDeleted: 3,
    bytesFreed: 1024, manifestsDeleted: 1, linksDeleted: 2, broken: [], deleted: [], ...over,
  };
}

test.each([
  [
    'a clean run',
    { ok: true as const, report: report() },
    { result: 'Succeeded', blobsDeleted: 3, bytesFreed: 1024, manifestsDeleted: 1, errors: 0, durationSeconds: 2.5, completionTime: '2030-01-02T03:04:07.500Z' },
  ],
  [
    'a run that found broken manifests: they count as errors and are named',
    { ok: true as const, report: report({ broken: ['a@sha256:1', 'b@sha256:2'] }) },
    { result: 'Succeeded', errors: 2, message: '2 kept manifest(s) have missing or unreadable bytes (kept, not deleted): a@sha256:1, b@sha256:2' },
  ],
  [
    'a failed run',
    { ok: false as const, error: new Error('EACCES: permission denied'), startedAt, durationMs: 10 },
    { result: 'Failed', errors: 1, blobsDeleted: 0, bytesFreed: 0, message: 'EACCES: permission denied', durationSeconds: 0.01 },
  ],
])('%s', (_name, outcome, expected) => {
  const doc = gcReportDocument(outcome, 'registry-abc');
  expect(doc.reporter).toBe('registry-abc');
  expect(doc.lastRun).toMatchObject({ startTime: '2030-01-02T03:04:05.000Z', ...expected });
  // what the registry writes is what the operator accepts
  expect(parseReportDocument(GcReportDocumentSchema, JSON.stringify(doc))).toEqual({ ok: true, value: doc });
});

test('a long failure message is clipped to what the schema allows', () => {
  const doc = gcReportDocument({ ok: false, error: new Error('x'.repeat(5000)), startedAt, durationMs: 1 });
  expect(doc.lastRun.message).toHaveLength(1024);
  expect(parseReportDocument(GcReportDocumentSchema, JSON.stringify(doc)).ok).toBe(true);
});
