// A small declarative schema for config files: validation with messages that name the field's
// path, what was expected and what was found, and defaults merged in.
import { UserError } from '../util/errors.ts';

export type Spec =
  | { kind: 'number'; min?: number; max?: number; integer?: boolean; doc: string }
  | { kind: 'string'; values?: readonly string[]; doc: string }
  | { kind: 'boolean'; doc: string }
  | { kind: 'numbers'; length?: number; integer?: boolean; doc: string }
  | { kind: 'nullable'; inner: Spec; doc: string }
  | { kind: 'object'; fields: Record<string, Spec>; doc: string };

/** A configuration the user wrote or asked for (a file, a --set) that does not fit the schema. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
  constructor(readonly problems: string[], source: string) {
    super(`${source}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`}`);
  }
}

/**
 * Names that would reach Object.prototype through a path (`__proto__.x`) or a merge: refused
 * everywhere a field name comes from the user, never looked up.
 */
const FORBIDDEN_FIELDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function describe(v: unknown): string {
  if (v === null) return 'null';
  // JSON reads 1e999 as Infinity, which JSON.stringify would print as null.
  if (typeof v === 'number' && !Number.isFinite(v)) return `a non-finite number (${v}; numbers must be finite)`;
  if (Array.isArray(v)) return `an array (${JSON.stringify(v).slice(0, 40)})`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Checks `value` against `spec`; appends one message per problem, naming the path. */
export function validate(spec: Spec, value: unknown, path: string, problems: string[]): void {
  const at = path || '(top level)';
  switch (spec.kind) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) { problems.push(`${at}: expected a number, found ${describe(value)}`); return; }
      if (spec.integer && !Number.isInteger(value)) problems.push(`${at}: expected an integer, found ${value}`);
      if (spec.min !== undefined && value < spec.min) problems.push(`${at}: must be >= ${spec.min}, found ${value}`);
      if (spec.max !== undefined && value > spec.max) problems.push(`${at}: must be <= ${spec.max}, found ${value}`);
      return;
    case 'string':
      if (typeof value !== 'string') { problems.push(`${at}: expected a string, found ${describe(value)}`); return; }
      if (spec.values && !spec.values.includes(value)) problems.push(`${at}: must be one of ${spec.values.map((v) => `"${v}"`).join(', ')}, found "${value}"`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${at}: expected true or false, found ${describe(value)}`);
      return;
    case 'numbers':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) { problems.push(`${at}: expected an array of numbers, found ${describe(value)}`); return; }
      if (spec.length !== undefined && value.length !== spec.length) problems.push(`${at}: expected ${spec.length} numbers, found ${value.length}`);
      if (spec.integer && value.some((v) => !Number.isInteger(v))) problems.push(`${at}: expected integers, found ${JSON.stringify(value)}`);
      return;
    case 'nullable':
      if (value !== null) validate(spec.inner, value, path, problems);
      return;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) { problems.push(`${at}: expected an object, found ${describe(value)}`); return; }
      for (const [k, v] of Object.entries(value)) {
        const p = path ? `${path}.${k}` : k;
        if (FORBIDDEN_FIELDS.has(k)) { problems.push(`${p}: "${k}" is not allowed as a field name`); continue; }
        const child = Object.hasOwn(spec.fields, k) ? spec.fields[k] : undefined;
        if (!child) { problems.push(`${p}: unknown field (known fields here: ${Object.keys(spec.fields).join(', ')})`); continue; }
        validate(child, v, p, problems);
      }
    }
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Deep merge of plain objects (arrays and scalars replace). */
export function merge<T>(base: T, over: unknown): T {
  if (typeof over !== 'object' || over === null || Array.isArray(over) || typeof base !== 'object' || base === null || Array.isArray(base)) {
    return over as T;
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (FORBIDDEN_FIELDS.has(k)) continue;
    out[k] = Object.hasOwn(out, k) ? merge(out[k], v) : v;
  }
  return out as T;
}

/** Parses the value of `--set path=value`: JSON where it parses (numbers, true, [1,2], null), else a string. */
export function parseOverride(text: string): { path: string[]; value: Json } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError([`--set ${text}: expected path=value, e.g. optim.lr=0.001`], 'command line');
  const raw = text.slice(eq + 1);
  let value: Json;
  try { value = JSON.parse(raw) as Json; } catch { value = raw; }
  const path = text.slice(0, eq).split('.');
  const bad = path.find((k) => k === '' || FORBIDDEN_FIELDS.has(k));
  if (bad !== undefined) {
    throw new ConfigError([`--set ${text}: ${bad === '' ? 'the path has an empty part' : `"${bad}" is not allowed as a field name`}; write a path such as optim.lr=0.001`], 'command line');
  }
  return { path, value };
}

export function setPath(obj: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const over: Record<string, unknown> = {};
  let cur = over;
  path.forEach((k, i) => {
    if (i === path.length - 1) cur[k] = value;
    else { cur[k] = {}; cur = cur[k] as Record<string, unknown>; }
  });
  return merge(obj, over);
}

/** Markdown reference of every field, generated from the schema (docs/config.md). */
export function documentSpec(spec: Spec, defaults: unknown, path = ''): string[] {
  if (spec.kind !== 'object') {
    const type = spec.kind === 'string' && spec.values ? spec.values.map((v) => `"${v}"`).join(' \\| ')
      : spec.kind === 'nullable' ? `${spec.inner.kind} or null` : spec.kind;
    return [`| \`${path}\` | ${type} | \`${JSON.stringify(defaults)}\` | ${spec.doc} |`];
  }
  const rows: string[] = [];
  for (const [k, child] of Object.entries(spec.fields)) {
    rows.push(...documentSpec(child, (defaults as Record<string, unknown> | undefined)?.[k], path ? `${path}.${k}` : k));
  }
  return rows;
}
