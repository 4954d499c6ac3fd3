import { UserError } from '../util/errors.ts';

export type OptionValue = string | number | boolean;

export interface OptionSpec {
  /** Long name without dashes: `--image-format` is 'image-format'. */
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  description: string;
  /** Allowed values of a string option. */
  choices?: readonly string[];
  default?: OptionValue;
  /** Shown in help instead of the type, e.g. '<dir>'. */
  placeholder?: string;
  required?: boolean;
  /** May be given several times (string options): the values are collected in `lists`. */
  repeatable?: boolean;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** The last positional may take every remaining argument (collected in `rest`). */
  variadic?: boolean;
}

export interface ParsedArgs {
  positionals: Record<string, string>;
  options: Record<string, OptionValue | undefined>;
  /** Values of repeatable options, in order. */
  lists: Record<string, string[]>;
  /** Every argument taken by a variadic last positional (including the first). */
  rest: string[];
}

/**
 * Parses `--name value`, `--name=value`, boolean `--flag` / `--no-flag` and positionals against
 * the command's declaration. Every mistake is a UserError naming the option and, for an
 * unknown one, the closest known name.
 */
export function parseArgs(argv: readonly string[], positionals: readonly PositionalSpec[], options: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map(options.map((o) => [o.name, o]));
  const parsed: ParsedArgs = { positionals: {}, options: {}, lists: {}, rest: [] };
  const free: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      free.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UserError(`unknown option ${arg} (options are written --name)`);
      free.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      name = name.slice(3);
      if (eq >= 0) throw new UserError(`--no-${name} takes no value`);
      parsed.options[name] = false;
      continue;
    }
    if (!spec) throw new UserError(`unknown option --${name}${suggest(name, options.map((o) => o.name))}`);
    spec = spec as OptionSpec;
    if (spec.type === 'boolean') {
      if (eq >= 0) {
        const v = arg.slice(eq + 1).toLowerCase();
        if (!['true', 'false', '1', '0', 'yes', 'no'].includes(v)) throw new UserError(`--${name} is true or false, got "${v}"`);
        parsed.options[name] = ['true', '1', 'yes'].includes(v);
      } else parsed.options[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UserError(`--${name} needs a value${spec.placeholder ? ` ${spec.placeholder}` : ''}`);
      raw = next;
      i++;
    }
    if (spec.repeatable) (parsed.lists[name] ??= []).push(String(convert(spec, raw)));
    else parsed.options[name] = convert(spec, raw);
  }
  positionals.forEach((p, i) => {
    const value = free[i];
    if (value === undefined) {
      if (p.required) throw new UserError(`missing <${p.name}>: ${p.description}`);
    } else parsed.positionals[p.name] = value;
  });
  const last = positionals[positionals.length - 1];
  if (last?.variadic) parsed.rest = free.slice(positionals.length - 1);
  else if (free.length > positionals.length) throw new UserError(`unexpected argument "${free[positionals.length]}"`);
  for (const spec of options) {
    if (parsed.options[spec.name] === undefined) {
      if (spec.required) throw new UserError(`--${spec.name} is required: ${spec.description}`);
      if (spec.default !== undefined) parsed.options[spec.name] = spec.default;
    }
  }
  return parsed;
}

function convert(spec: OptionSpec, raw: string): OptionValue {
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) throw new UserError(`--${spec.name} must be one of ${spec.choices.join(', ')}; got "${raw}"`);
    return raw;
  }
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UserError(`--${spec.name} needs a number, got "${raw}"`);
  if (spec.type === 'integer' && !Number.isInteger(value)) throw new UserError(`--${spec.name} needs a whole number, got "${raw}"`);
  return value;
}

/** ` (did you mean --x?)` for the nearest name within edit distance 2, else ''. */
export function suggest(name: string, known: readonly string[], prefix = '--'): string {
  let best = '';
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean ${prefix}${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** Typed getters for parsed options; the parser has already checked the types. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === 'string' ? v : undefined;
}

export function numberOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.options[name];
  return typeof v === 'number' ? v : undefined;
}

export function booleanOption(args: ParsedArgs, name: string): boolean {
  return args.options[name] === true;
}

/** A boolean option that was not given is undefined, so a default from elsewhere (a model file) can apply. */
export function givenBooleanOption(args: ParsedArgs, name: string): boolean | undefined {
  const v = args.options[name];
  return typeof v === 'boolean' ? v : undefined;
}
