// Reductions over any set of axes: sum, mean, max, min (the tree reduction of reduce_kernel.ts),
// argmax/argmin, and var / logsumexp composed from them so their gradients come for free.
import argSrc from '../../shaders/argreduce.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { noGrad } from '../scope.ts';
import { normalizeAxes, normalizeAxis, sizeOf, type Shape } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { div, eq, mul, sub, log, exp, square, add } from './elementwise.ts';
import { expand, reshape } from './movement.ts';
import { specialize } from './kernels.ts';
import { keptShape, reduceAxes } from './reduce_kernel.ts';
import { storageWgsl } from './storage.ts';

export { sumTo } from './reduce_kernel.ts';

const argParams = uniformBlock({ outer: 'u32', R: 'u32', inner: 'u32' });

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
  return keepdim ? y : reshape(y, finalShape(x.shape, ax, false));
}

function argReduce(name: string, cmp: string, x: Tensor, axis: number, keepdim: boolean): Tensor {
  const a = normalizeAxis(name, axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const R = x.shape[a]!;
  const inner = sizeOf(x.shape.slice(a + 1));
  if (x.dtype === 'int32') throw new TensorError(`${name}: ${x.describe()} must be float32 or float16`);
  const st = storageWgsl(x.dtype);
  if (R === 0) throw new TensorError(`${name}: ${x.describe()} is empty along axis ${axis}`);
  const shape = keepdim ? keptShape(x.shape, [a]) : x.shape.filter((_, i) => i !== a);
  const y = Tensor.empty(shape, 'int32');
  getEngine().dispatch({
    label: `${name} ${x.describe()} axis ${a}`, key: `arg:${st.T}:${cmp}`,
    source: () => specialize(argSrc, { ENABLE: st.ENABLE, S: st.T, PARAMS: argParams.wgsl, CMP: cmp, WORKGROUP_SIZE }),
    buffers: [x.buffer, y.buffer], uniforms: argParams.pack({ outer, R, inner }),
    workgroups: elementGrid(outer * inner),
  });
  return y;
}

/** Index (int32) of the first maximum along `axis`. */
export function argmax(x: Tensor, axis: number, keepdim = false): Tensor { return argReduce('argmax', '>', x, axis, keepdim); }
export function argmin(x: Tensor, axis: number, keepdim = false): Tensor { return argReduce('argmin', '<', x, axis, keepdim); }
