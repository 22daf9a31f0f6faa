/**
 * Sizes as Kubernetes quantities (`10Gi`, `500M`, `1.5Ti`) or plain byte counts, as `Repository.spec.quota.size`
 * writes them. Binary suffixes are powers of 1024, decimal ones powers of 1000 (as in Kubernetes); the exponent
 * forms (`1e9`) and milli units are not accepted, since a byte count has no fractions.
 */

/** The grammar the CRD checks (an integer is accepted too). */
export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$';
const QUANTITY_RE = new RegExp(QUANTITY_PATTERN);

const FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Bytes of a quantity (rounded up to a whole byte), or undefined when it is not one. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (!QUANTITY_RE.test(text)) return undefined;
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(text)!;
  const bytes = Math.ceil(Number(m[1]) * FACTORS[m[2]!]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A byte count as people read it: `0 B`, `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${n.toFixed(1)} ${units[i]}`;
}
