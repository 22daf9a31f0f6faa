/**
 * Reading a document of the report channel (schemas/report.ts). What the registry wrote is input to the operator
 * like any user input: it is parsed and checked against its schema, and anything else is a problem to log and
 * ignore, never an exception.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { MAX_REPORT_BYTES } from './schemas/report.js';

export type ReportParse<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A report document from its JSON text, checked against `schema` (pure). */
export function parseReportDocument<S extends TSchema>(schema: S, text: string): ReportParse<Static<S>> {
  if (Buffer.byteLength(text) > MAX_REPORT_BYTES) return { ok: false, problem: `larger than ${MAX_REPORT_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not JSON: ${(err as Error).message}` };
  }
  if (Value.Check(schema, doc)) return { ok: true, value: doc };
  const first = Value.Errors(schema, doc).First();
  return { ok: false, problem: first ? `${first.path || '(root)'}: ${first.message}` : 'does not match its schema' };
}
