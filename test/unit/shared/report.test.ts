import { parseReportDocument } from '../../../src/shared/report.js';
import { GcReportDocumentSchema, MAX_REPORT_BYTES } from '../../../src/shared/schemas/report.js';

const run = {
  startTime: '2030-01-02T03:04:05.000Z',
  completionTime: '2030-01-02T03:04:07.500Z',
  durationSeconds: 2.5,
  result: 'Succeeded',
  blobsDeleted: 3,
  bytesFreed: 1024,
  manifestsDeleted: 1,
  errors: 0,
};

test.each<[string, string, string | undefined]>([
  ['a valid document', JSON.stringify({ lastRun: run, reporter: 'registry-abc' }), undefined],
  ['not JSON', '{"lastRun":', 'not JSON'],
  ['missing lastRun', '{}', '/lastRun'],
  ['an unknown result', JSON.stringify({ lastRun: { ...run, result: 'Maybe' } }), '/lastRun/result'],
  ['a negative count', JSON.stringify({ lastRun: { ...run, bytesFreed: -1 } }), '/lastRun/bytesFreed'],
  ['a time that is not RFC 3339', JSON.stringify({ lastRun: { ...run, startTime: 'yesterday' } }), '/lastRun/startTime'],
  ['an unknown field (a newer registry): accepted', JSON.stringify({ lastRun: { ...run, extra: 1 } }), undefined],
  ['an array', '[]', '(root)'],
  ['too large', JSON.stringify({ lastRun: run, reporter: 'x'.repeat(MAX_REPORT_BYTES) }), 'larger than'],
])('gc.json: %s', (_name, text, problem) => {
  const parsed = parseReportDocument(GcReportDocumentSchema, text);
  if (problem === undefined) expect(parsed).toEqual({ ok: true, value: JSON.parse(text) });
  else {
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toContain(problem);
  }
});
