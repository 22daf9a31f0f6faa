/**
 * Validates a document against a schema and reports the first problem the way people read configs: the field
 * (`rules[2].principals[0]`, `storage.uploadPurge.maxAge`) and a sentence. Objects are checked as they are written
 * (unknown fields first, then each field in schema order); leaves are checked by TypeBox (`Value.Check`). A schema
 * node may carry its own sentences: `errorMessage` (`{value}` is replaced by the value), `typeMessage` (a value of
 * the wrong JSON type), `minItemsMessage`. `null` counts as absent, as in YAML (`users:` with nothing after it); a
 * required field that is absent is checked as the empty value of its type (`''`, `[]`).
 */
import type { TProperties, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** A problem found in a document: the field and what is wrong with it. */
export interface Problem {
  field: string;
  message: string;
}

/** How a kind of document words its problems. */
export interface Wording {
  /** The field name of the document itself (`(root)`). */
  root: string;
  /** Whether an unknown top-level field is named `(root).x` rather than `x`. */
  qualifyUnknownRootFields: boolean;
  /** Sentences for a value of the wrong JSON type, by the schema's `type`. */
  typeMessages: Partial<Record<'string' | 'boolean' | 'integer' | 'number' | 'array' | 'object', string>>;
  /** For an empty string where the schema wants at least one character. */
  emptyMessage: string;
}

/** Leaf checks, compiled once per schema node (policies with thousands of robots are parsed on every change). */
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function check(node: TSchema, v: unknown): boolean {
  let c = compiled.get(node);
  if (!c) compiled.set(node, (c = TypeCompiler.Compile(node)));
  return c.Check(v);
}

type Node = TSchema & { errorMessage?: string; typeMessage?: string; minItemsMessage?: string };

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (Number.isInteger(v)) return 'integer';
  return typeof v === 'object' ? 'object' : typeof v;
}

function typeMatches(type: unknown, v: unknown): boolean {
  if (typeof type !== 'string') return true;
  const actual = jsonType(v);
  return actual === type || (type === 'number' && actual === 'integer');
}

function sentence(node: Node, v: unknown, w: Wording): string {
  if (node.errorMessage) return node.errorMessage.replace('{value}', String(v));
  if (Array.isArray(node.enum)) return `must be one of ${(node.enum as unknown[]).join(', ')}`;
  return w.typeMessages[node.type as keyof Wording['typeMessages']] ?? 'is not valid';
}

function leafProblem(node: Node, v: unknown, w: Wording): string | undefined {
  if (!typeMatches(node.type, v)) return node.typeMessage ?? w.typeMessages[node.type as keyof Wording['typeMessages']] ?? sentence(node, v, w);
  if (v === '' && (node.minLength ?? 0) >= 1) return w.emptyMessage;
  return check(node, v) ? undefined : sentence(node, v, w);
}

function child(path: string, key: string, w: Wording, unknown = false): string {
  if (path === w.root) return unknown && w.qualifyUnknownRootFields ? `${path}.${key}` : key;
  return `${path}.${key}`;
}

function objectProblem(node: Node, v: unknown, path: string, w: Wording): Problem | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) {
    return { field: path, message: w.typeMessages.object ?? 'must be a mapping' };
  }
  const properties = node.properties as TProperties;
  const names = Object.keys(properties);
  if (node.additionalProperties === false) {
    const unknown = Object.keys(v).find((k) => !names.includes(k));
    if (unknown !== undefined) return { field: child(path, unknown, w, true), message: `unknown field (allowed: ${names.join(', ')})` };
  }
  const required = new Set<string>(node.required ?? []);
  for (const name of names) {
    const value = (v as Record<string, unknown>)[name];
    const at = child(path, name, w);
    if (value === undefined || value === null) {
      const type = properties[name]!.type;
      if (required.has(name)) return problemAt(properties[name]!, type === 'array' ? [] : type === 'string' ? '' : undefined, at, w);
      continue;
    }
    const problem = problemAt(properties[name]!, value, at, w);
    if (problem) return problem;
  }
  return undefined;
}

function arrayProblem(node: Node, v: unknown, path: string, w: Wording): Problem | undefined {
  if (!Array.isArray(v)) return { field: path, message: node.errorMessage ?? w.typeMessages.array ?? 'must be a list' };
  if (v.length < (node.minItems ?? 0)) return { field: path, message: node.minItemsMessage ?? 'must not be empty' };
  for (let i = 0; i < v.length; i++) {
    const problem = problemAt(node.items as TSchema, v[i], `${path}[${i}]`, w);
    if (problem) return problem;
  }
  return undefined;
}

/** The first problem of `v` at `path`, or undefined when it matches the schema (pure). */
export function problemAt(schema: TSchema, v: unknown, path: string, w: Wording): Problem | undefined {
  const node = schema as Node;
  if (node.type === 'object' && node.properties) return objectProblem(node, v, path, w);
  if (node.type === 'array' && node.items) return arrayProblem(node, v, path, w);
  const message = leafProblem(node, v, w);
  return message === undefined ? undefined : { field: path, message };
}

/** `null` mapping values dropped (YAML's empty value means absent) and dates as RFC 3339 text (pure). */
export function withoutNulls(raw: unknown): unknown {
  if (raw instanceof Date) return raw.toISOString();
  if (Array.isArray(raw)) return raw.map(withoutNulls);
  if (typeof raw !== 'object' || raw === null) return raw;
  return Object.fromEntries(Object.entries(raw).flatMap(([k, v]) => (v === null ? [] : [[k, withoutNulls(v)]])));
}

/** The first problem of a whole document (absent counts as an empty mapping), or undefined (pure). */
export function firstProblem(schema: TSchema, document: unknown, w: Wording): Problem | undefined {
  return problemAt(schema, document ?? {}, w.root, w);
}
