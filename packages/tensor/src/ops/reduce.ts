// Reductions over any set of axes: sum, mean, max, min (tree reduction), argmax/argmin,
// and var / logsumexp composed from them so their gradients come for free.
import argSrc from '../../shaders/argreduce.wgsl';
import reduceSrc from '../../shaders/reduce.wgsl';
import { getEngine, grid, Uniforms } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { noGrad } from '../scope.ts';
import { normalizeAxes, normalizeAxis, sameShape, sizeOf, type Shape } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { div, eq, mul, sub, log, exp, square, add } from './elementwise.ts';
import { expand } from './movement.ts';
import { full, specialize } from './kernels.ts';

type Kind = 'sum' | 'max' | 'min';
const COMBINE: Record<Kind, string> = { sum: 'acc + v', max: 'max(acc, v)', min: 'min(acc, v)' };
/** Elements each invocation combines per pass: the fan-in of the reduction tree. */
const CHUNK = 32;

/** One [outer, R, inner] → [outer, inner] reduction, in passes of fan-in CHUNK. */
function reduceRun(label: string, kind: Kind, x: Tensor, outer: number, R: number, inner: number, scale: number): Tensor {
  let cur = x;
  let r = R;
  do {
    const P = Math.ceil(r / CHUNK);
    const out = Tensor.empty([outer * P * inner]);
    const u = new Uniforms().u32(outer, r, inner, P).f32(P === 1 ? scale : 1);
    getEngine().dispatch({
      label: `${label} ${x.describe()}`,
      key: `reduce:${kind}:${CHUNK}`,
      source: () => specialize(reduceSrc, { COMBINE: COMBINE[kind], CH: CHUNK }),
      buffers: [cur.buffer, out.buffer], uniforms: u.done(), workgroups: grid(Math.ceil((outer * P * inner) / 256)),
    });
    if (cur !== x) cur.dispose();
    cur = out;
    r = P;
  } while (r > 1);
  return cur;
}

function keptShape(shape: Shape, axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Reduces `axes` of x (grouped into runs of adjacent axes, innermost run first). */
function reduceAxes(label: string, kind: Kind, x: Tensor, axes: number[], scale: number): Tensor {
  if (x.dtype !== 'float32') throw new TensorError(`${label}: ${x.describe()} must be float32`);
  const out = keptShape(x.shape, axes);
  if (x.size === 0) {
    if (kind !== 'sum') throw new TensorError(`${label}: cannot reduce empty ${x.describe()}`);
    return full(out, 0);
  }
  if (axes.length === 0) return noGrad(() => mul(x, scale));
  const runs: number[][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === a - 1) last.push(a); else runs.push([a]);
  }
  let cur = x;
  let shape = [...x.shape];
  for (let k = runs.length - 1; k >= 0; k--) {
    const run = runs[k]!;
    const outer = sizeOf(shape.slice(0, run[0]));
    const R = sizeOf(shape.slice(run[0], run[run.length - 1]! + 1));
    const inner = sizeOf(shape.slice(run[run.length - 1]! + 1));
    const next = reduceRun(label, kind, cur, outer, R, inner, k === 0 ? scale : 1);
    if (cur !== x) cur.dispose();
    cur = next;
    shape = shape.map((d, i) => (run.includes(i) ? 1 : d));
  }
  const result = cur.view(out);
  cur.dispose();
  return result;
}

function finalShape(shape: Shape, axes: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

/** Broadcasts a reduced gradient (shape `reduced` with kept dims) back to `shape`. */
function spread(g: Tensor, kept: number[], shape: Shape): Tensor {
  const gk = g.view(kept);
  const e = expand(gk, [...shape]);
  if (e !== gk) gk.dispose();
  return e;
}

export function sum(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const ax = normalizeAxes('sum', axes, x.rank);
  const r = reduceAxes('sum', 'sum', x, ax, 1);
  const y = r.view(finalShape(x.shape, ax, keepdim));
  r.dispose();
  return record(y, 'sum', [x], (g) => [spread(g, keptShape(x.shape, ax), x.shape)]);
}

export function mean(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const ax = normalizeAxes('mean', axes, x.rank);
  const count = sizeOf(ax.map((a) => x.shape[a]!));
  if (count === 0) throw new TensorError(`mean: ${x.describe()} has no elements along axes [${ax.join(', ')}]`);
  const r = reduceAxes('mean', 'sum', x, ax, 1 / count);
  const y = r.view(finalShape(x.shape, ax, keepdim));
  r.dispose();
  return record(y, 'mean', [x], (g) => [mul(spread(g, keptShape(x.shape, ax), x.shape), 1 / count)]);
}

function extremum(kind: 'max' | 'min', x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const ax = normalizeAxes(kind, axes, x.rank);
  const r = reduceAxes(kind, kind, x, ax, 1);
  const y = r.view(finalShape(x.shape, ax, keepdim));
  r.dispose();
  // The gradient goes to every position equal to the extremum, split equally among ties (as torch.amax).
  return record(y, kind, [x], (g) => {
    const kept = keptShape(x.shape, ax);
    const mask = eq(x, y.view(kept));
    const count = sum(mask, ax, true);
    return [div(mul(mask, spread(g, kept, x.shape)), count)];
  });
}

export function max(x: Tensor, axes?: number | number[], keepdim = false): Tensor { return extremum('max', x, axes, keepdim); }
export function min(x: Tensor, axes?: number | number[], keepdim = false): Tensor { return extremum('min', x, axes, keepdim); }

/** Variance (population by default; `unbiased` divides by n − 1), two-pass for accuracy. */
export function variance(x: Tensor, axes?: number | number[], keepdim = false, unbiased = false): Tensor {
  const ax = normalizeAxes('var', axes, x.rank);
  const n = sizeOf(ax.map((a) => x.shape[a]!));
  const m = mean(x, ax, true);
  const v = mean(square(sub(x, m)), ax, keepdim);
  return unbiased ? mul(v, n / Math.max(n - 1, 1)) : v;
}

/** log Σ exp(x), stable: the maximum is subtracted first (and carries no gradient). */
export function logsumexp(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const ax = normalizeAxes('logsumexp', axes, x.rank);
  const m = noGrad(() => max(x, ax, true));
  const s = log(sum(exp(sub(x, m)), ax, true));
  const y = add(s, m);
  return keepdim ? y : y.reshape(finalShape(x.shape, ax, false));
}

function argReduce(name: string, cmp: string, x: Tensor, axis: number, keepdim: boolean): Tensor {
  const a = normalizeAxis(name, axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const R = x.shape[a]!;
  const inner = sizeOf(x.shape.slice(a + 1));
  if (R === 0) throw new TensorError(`${name}: ${x.describe()} is empty along axis ${axis}`);
  const shape = keepdim ? keptShape(x.shape, [a]) : x.shape.filter((_, i) => i !== a);
  const y = Tensor.empty(shape, 'int32');
  getEngine().dispatch({
    label: `${name} ${x.describe()} axis ${a}`, key: `arg:${cmp}`,
    source: () => specialize(argSrc, { CMP: cmp }),
    buffers: [x.buffer, y.buffer], uniforms: new Uniforms().u32(outer, R, inner, 0).done(),
    workgroups: grid(Math.ceil((outer * inner) / 256)),
  });
  return y;
}

/** Index (int32) of the first maximum along `axis`. */
export function argmax(x: Tensor, axis: number, keepdim = false): Tensor { return argReduce('argmax', '>', x, axis, keepdim); }
export function argmin(x: Tensor, axis: number, keepdim = false): Tensor { return argReduce('argmin', '<', x, axis, keepdim); }

/** Sums a broadcast gradient back down to `shape` (leading axes and size-1 axes). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? sum(g, axes, true) : g;
  const y = s.view([...shape]);
  if (s !== g) s.dispose();
  return y;
}
