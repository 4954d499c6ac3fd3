// Creating tensors: from data, constants, ranges and seeded random numbers.
import { getEngine } from '../engine.ts';
import { TensorError, describeShape } from '../errors.ts';
import { defaultGenerator, Generator } from '../random.ts';
import { checkShape, sizeOf, type Shape } from '../shape.ts';
import { Tensor, type DType } from '../tensor.ts';
import { cast } from './cast.ts';
import { arangeInto, full as fullKernel } from './kernels.ts';

export interface CreateOptions {
  requiresGrad?: boolean;
  dtype?: DType;
  name?: string;
}

type Nested = number | Nested[];

function flattenNested(data: Nested, shape: number[], out: number[], depth = 0): void {
  if (typeof data === 'number') { out.push(data); return; }
  if (shape.length <= depth) shape.push(data.length);
  else if (shape[depth] !== data.length) throw new TensorError(`tensor: ragged nested array at depth ${depth} (${data.length} vs ${shape[depth]})`);
  for (const d of data) flattenNested(d, shape, out, depth + 1);
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  if (opts.name) t.name = opts.name;
  return t;
}

/**
 * A tensor from data: a flat array or typed array with `shape`, a nested array, or a number.
 * Int32Array data (or dtype 'int32') gives an int32 tensor; dtype 'float16' uploads float32
 * values and rounds them to f16 on the device.
 */
export function tensor(data: Nested | ArrayLike<number> | Float32Array | Int32Array, shape?: Shape, opts: CreateOptions = {}): Tensor {
  let flat: ArrayLike<number>;
  let s: number[];
  if (typeof data === 'number') { flat = [data]; s = shape ? [...shape] : []; }
  else if (Array.isArray(data) && !shape) { const out: number[] = []; s = []; flattenNested(data as Nested, s, out); flat = out; }
  else { flat = data as ArrayLike<number>; s = shape ? [...shape] : [flat.length]; }
  checkShape('tensor', s);
  if (sizeOf(s) !== flat.length) throw new TensorError(`tensor: ${flat.length} values do not fill shape ${describeShape(s)} (${sizeOf(s)} elements)`);
  const dtype: DType = opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  if (dtype === 'float16') return finish(halve(tensor(flat, s)), opts);
  const typed = dtype === 'int32'
    ? (flat instanceof Int32Array ? flat : Int32Array.from(flat))
    : (flat instanceof Float32Array ? flat : Float32Array.from(flat));
  const t = Tensor.empty(s, dtype, true);
  if (typed.length > 0) getEngine().upload(t.buffer, typed);
  return finish(t, opts);
}

/** A float16 copy of a float32 tensor that was made for it (consumed). */
function halve(t: Tensor): Tensor {
  try { return cast(t, 'float16'); } finally { t.dispose(); }
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  if (opts.dtype === 'float16') return finish(halve(fullKernel(shape, value, 'float32')), opts);
  return finish(fullKernel(shape, value, opts.dtype ?? 'float32'), opts);
}
export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor { return full(shape, 0, opts); }
export function ones(shape: Shape, opts: CreateOptions = {}): Tensor { return full(shape, 1, opts); }
export function zerosLike(t: Tensor): Tensor { return zeros(t.shape, { dtype: t.dtype }); }
export function onesLike(t: Tensor): Tensor { return ones(t.shape, { dtype: t.dtype }); }

/** start, start + step, ... below end (float32, or int32 with dtype). */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new TensorError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((e - s) / step));
  if (opts.dtype === 'int32') {
    return tensor(Int32Array.from({ length: n }, (_, i) => s + i * step), [n], opts);
  }
  const t = Tensor.empty([n]);
  if (n > 0) arangeInto(t, s, step);
  return finish(t, opts);
}

export interface RandomOptions extends CreateOptions {
  /** Seed for a fresh generator; without it the default generator (see manualSeed) is used. */
  seed?: number;
  generator?: Generator;
}

function generatorFor(opts: RandomOptions): Generator {
  return opts.generator ?? (opts.seed !== undefined ? new Generator(opts.seed) : defaultGenerator);
}

/** Uniform in [low, high). */
export function rand(shape: Shape, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  checkShape('rand', shape);
  const g = generatorFor(opts);
  const lo = opts.low ?? 0, hi = opts.high ?? 1;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * g.uniform();
  return tensor(data, shape, { ...opts, dtype: 'float32' });
}

/** Normal with the given mean and std (default standard normal). */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  checkShape('randn', shape);
  const g = generatorFor(opts);
  const m = opts.mean ?? 0, sd = opts.std ?? 1;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = m + sd * g.normal();
  return tensor(data, shape, { ...opts, dtype: 'float32' });
}
