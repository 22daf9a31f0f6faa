/**
 * Byte ranges, as pure functions: the `Range` header of a blob GET (RFC 9110, single range), and the
 * `Content-Range` of an upload chunk (`<start>-<end>`, inclusive, no `bytes ` prefix).
 */

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Interprets a `Range` header against a blob of `size` bytes. Absent, malformed or multi-range headers give the
 * full body (RFC 9110 lets a server ignore Range); `bytes=500-0` and ranges past the end are unsatisfiable.
 */
export function parseRangeHeader(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** Parses an upload chunk's `Content-Range` (`0-1023`; a `bytes ` prefix and `/size` suffix are tolerated). */
export function parseContentRange(header: string): { start: number; end: number } | undefined {
  const m = /^\s*(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/.exec(header);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end };
}

/** The upload `Range` header for a session holding `size` bytes: `0-<last byte>`, and `0-0` when empty. */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}
