/**
 * Durations in the configuration file: written as text (`90s`, `1h30m`) or seconds, held in milliseconds once
 * parsed (`<name>Ms`). The schema keyword, the type mapping and the pure conversion live here together.
 */
import { FormatRegistry, Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { parseDuration } from '../duration.js';

FormatRegistry.Set('duration', (s) => (parseDuration(s) ?? 0) > 0);

const DURATION = 'must be a duration such as 90s, 5m or 24h';

/**
 * A duration as text (`90s`, `1h30m`) or a number of seconds. The parsed config holds it in milliseconds, as
 * `<name>Ms` ({@link WithMs}, {@link durationsToMs}).
 */
export const Duration = (description: string) =>
  Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ format: 'duration' })], { errorMessage: DURATION, description });

const isDuration = (schema: TSchema): boolean => Array.isArray(schema.anyOf) && schema.anyOf.some((s: TSchema) => s.format === 'duration');

type IsDuration<V> = [V] extends [string | number] ? ([string | number] extends [V] ? true : false) : false;
/** `T` with every duration field `x` (text or seconds) replaced by `xMs` (milliseconds). */
export type WithMs<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T as IsDuration<T[K]> extends true ? `${K & string}Ms` : K]: IsDuration<T[K]> extends true ? number : WithMs<T[K]> }
    : T;

/** A validated value with its durations in milliseconds, as `<name>Ms` (pure; walks the schema). */
export function durationsToMs<S extends TSchema, T>(schema: S, value: T): WithMs<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !schema.properties) return value as WithMs<T>;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const child = (schema.properties as TProperties)[key];
    if (child && isDuration(child)) out[`${key}Ms`] = typeof v === 'number' ? v * 1000 : parseDuration(v as string);
    else out[key] = child ? durationsToMs(child, v) : v;
  }
  return out as WithMs<T>;
}
