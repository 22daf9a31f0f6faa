/**
 * The few building blocks the contract schemas need beyond TypeBox's own: string enums and maps in the shape
 * Kubernetes structural schemas accept (`enum`, `additionalProperties`), Kubernetes int-or-string values, and
 * defaults that the static types know about ({@link Default}, {@link Defaulted}), so that a default is written once,
 * in the schema, and read from there by the CRD, the API server and the TypeScript side alike.
 */
import { Kind, Type, TypeRegistry, type SchemaOptions, type Static, type TArray, type TObject, type TOptional, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value));
TypeRegistry.Set<{ additionalProperties: TSchema }>(
  'StringMap',
  (schema, value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => Value.Check(schema.additionalProperties, v)),
);
TypeRegistry.Set<{ pattern?: string }>(
  'IntOrString',
  (schema, value) => Number.isSafeInteger(value) || (typeof value === 'string' && (schema.pattern === undefined || new RegExp(schema.pattern).test(value))),
);

/** A string that is one of `values` (`type: string` with `enum`, as Kubernetes wants it; not an `anyOf`). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, [Kind]: 'StringEnum', type: 'string', enum: [...values] });
}

/** A map from free-form keys to `value` (`type: object` with `additionalProperties`). */
export function MapOf<T extends TSchema>(value: T, options: SchemaOptions = {}): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ ...options, [Kind]: 'StringMap', type: 'object', additionalProperties: value });
}

/** A Kubernetes int-or-string value (a quantity such as `128Mi` or `2`). */
export function IntOrString(options: SchemaOptions = {}): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({ ...options, [Kind]: 'IntOrString', 'x-kubernetes-int-or-string': true });
}

/** Any object, unchecked (`type: object` and nothing else, as a CRD declares `metadata`). */
export function AnyObject(options: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ ...options, type: 'object' });
}

/** An optional property with a default: absent in the input type, present in {@link Defaulted}. */
export type TDefault<T extends TSchema> = TOptional<T> & { default: Static<T> };

/** `schema` as an optional property whose value is `value` when absent. */
export function Default<T extends TSchema>(schema: T, value: Static<T>): TDefault<T> {
  return Type.Optional({ ...schema, default: value }) as TDefault<T>;
}

type Evaluate<T> = { [K in keyof T]: T[K] } & {};
type DefaultedKeys<P extends TProperties> = { [K in keyof P]: P[K] extends TOptional<TSchema> ? (P[K] extends { default: unknown } ? K : never) : K }[keyof P];
type DefaultedObject<P extends TProperties> = Evaluate<
  { [K in DefaultedKeys<P>]: Defaulted<P[K]> } & { [K in Exclude<keyof P, DefaultedKeys<P>>]?: Defaulted<P[K]> }
>;

/** The static type of a value after {@link applyDefaults}: properties with a default are always present. */
export type Defaulted<S extends TSchema> = S extends TObject<infer P> ? DefaultedObject<P> : S extends TArray<infer I> ? Array<Defaulted<I>> : Static<S>;

/**
 * Kubernetes structural defaulting (pure; walks the schema): an absent property with a default gets a copy of it, and
 * defaults apply inside the result too. A present value is never merged with its default. Empty optional strings
 * are removed first (Kubernetes' "empty means unset"), so they get their default or stay unset.
 */
function defaulted(schema: TSchema, value: unknown, unsetEmpty: boolean): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((v) => defaulted(schema.items as TSchema, v, unsetEmpty)) : value;
  if (typeof value !== 'object' || value === null || !schema.properties) return value;
  const properties = schema.properties as TProperties;
  const required = new Set<string>(schema.required ?? []);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const child = properties[key];
    if (!(unsetEmpty && child && v === '' && child.type === 'string' && !required.has(key))) out[key] = v;
  }
  for (const [key, child] of Object.entries(properties)) {
    if (out[key] === undefined && 'default' in child) out[key] = structuredClone(child.default);
    if (out[key] !== undefined) out[key] = defaulted(child, out[key], unsetEmpty);
  }
  return out;
}

/**
 * `value` with every default of `schema` filled in, as the API server does for a custom resource (see
 * {@link defaulted}; `unsetEmpty: false` keeps empty strings). Pure: `value` is not changed. The shapes are
 * trusted (the API server, or a validation, checked them).
 */
export function applyDefaults<S extends TSchema>(schema: S, value: unknown, unsetEmpty = true): Defaulted<S> {
  return defaulted(schema, value ?? {}, unsetEmpty) as Defaulted<S>;
}

/** A schema as plain JSON Schema: TypeBox's symbol-keyed bookkeeping removed (pure). */
export function jsonSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}
