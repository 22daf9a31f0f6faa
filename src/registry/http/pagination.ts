/**
 * `n`/`last` pagination of sorted lists (tags, catalog), as a pure function, with the `Link` header for the next
 * page.
 */
import { RegistryError } from '../errors.js';

export interface Page {
  items: string[];
  /** `<path?n=..&last=..>; rel="next"`, when more items remain. */
  link: string | undefined;
}

/** Parses `n`; undefined when absent. */
export function parseN(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer', { n: String(raw) });
  }
  return Number(raw);
}

/** Items strictly after `last` (byte order), at most `n` of them, and a Link when more remain. */
export function paginate(sorted: string[], n: number | undefined, last: string | undefined, path: string): Page {
  const from = last === undefined ? 0 : sorted.findIndex((t) => t > last);
  const rest = from < 0 ? [] : sorted.slice(from);
  if (n === undefined) return { items: rest, link: undefined };
  const items = rest.slice(0, n);
  const more = n > 0 && rest.length > n;
  const link = more
    ? `<${path}?n=${n}&last=${encodeURIComponent(items[items.length - 1]!)}>; rel="next"`
    : undefined;
  return { items, link };
}

/** How many of `items` (at least one) fit in `maxBytes` by `sizeOf`; all of them when they fit. */
export function fitByBytes<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number): number {
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    total += sizeOf(items[i]!);
    if (total > maxBytes) return Math.max(1, i);
  }
  return items.length;
}

/** The `Link` to the page after `last`, `n` to a page. */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
