// The tree reduction (shaders/reduce.wgsl) without autograd, and sumTo on top of it. It sits below
// elementwise.ts and movement.ts, whose backward rules sum broadcast gradients, so that they need
// not import reduce.ts, which composes them (var, logsumexp, the gradients of mean and max).
import reduceSrc from '../../shaders/reduce.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { sameShape, sizeOf, stridesOf, type Shape } from '../shape.ts';
import { Tensor, type DType } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { full, gatherStrided, specialize } from './kernels.ts';
import { narrow, storageWgsl, widen } from './storage.ts';

export type ReduceKind = 'sum' | 'max' | 'min';
const COMBINE: Record<ReduceKind, string> = { sum: 'acc + v', max: 'max(acc, v)', min: 'min(acc, v)' };
/** Elements each invocation combines per pass: the fan-in of the reduction tree. */
const CHUNK = 32;

/** One pass: [outer, R, inner] → [outer, P, inner] partials, the last pass scaled by `scale`. */
const params = uniformBlock({ outer: 'u32', R: 'u32', inner: 'u32', P: 'u32', scale: 'f32' });

/**
 * One [outer, R, inner] → [outer, inner] reduction, in passes of fan-in CHUNK, the result of
 * `dtype`. A float16 x is read as f32 and the partials stay float32; only the last pass rounds, to
 * float16 when `dtype` is (as PyTorch sums half tensors: accumulated in float32, the result half).
 */
function reduceRun(label: string, kind: ReduceKind, x: Tensor, outer: number, R: number, inner: number, scale: number, dtype: DType): Tensor {
  let cur = x;
  let r = R;
  do {
    const P = Math.ceil(r / CHUNK);
    const src = storageWgsl(cur.dtype), dst = storageWgsl(P === 1 ? dtype : 'float32');
    const out = Tensor.empty([outer * P * inner], P === 1 ? dtype : 'float32');
    getEngine().dispatch({
      label: `${label} ${x.describe()}`,
      key: `reduce:${kind}:${CHUNK}:${src.T}:${dst.T}`,
      source: () => specialize(reduceSrc, {
        PARAMS: params.wgsl, COMBINE: COMBINE[kind], CH: CHUNK, WORKGROUP_SIZE, ENABLE: src.ENABLE || dst.ENABLE, SRC: src.T, DST: dst.T,
        LOAD: widen(src, 'x[i]'), STORE: narrow(dst, 'acc * p.scale'),
      }),
      buffers: [cur.buffer, out.buffer], uniforms: params.pack({ outer, R: r, inner, P, scale: P === 1 ? scale : 1 }),
      workgroups: elementGrid(outer * P * inner),
    });
    if (cur !== x) cur.dispose();
    cur = out;
    r = P;
  } while (r > 1);
  return cur;
}

export function keptShape(shape: Shape, axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * Reduces `axes` of x (grouped into runs of adjacent axes, innermost run first) to the kept shape,
 * the result scaled by `scale`. No axes copy x (scale is then 1: a mean over no axes divides by 1).
 */
export function reduceAxes(label: string, kind: ReduceKind, x: Tensor, axes: number[], scale: number): Tensor {
  if (x.dtype === 'int32') throw new TensorError(`${label}: ${x.describe()} must be float32 or float16`);
  const out = keptShape(x.shape, axes);
  if (x.size === 0) {
    if (kind !== 'sum') throw new TensorError(`${label}: cannot reduce empty ${x.describe()}`);
    return full(out, 0, x.dtype);
  }
  if (axes.length === 0) return gatherStrided(`${label} ${x.describe()}`, x, x.shape, stridesOf(x.shape));
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
    // Runs before the last hand on float32, so that a float16 result is rounded once.
    const next = reduceRun(label, kind, cur, outer, R, inner, k === 0 ? scale : 1, k === 0 ? x.dtype : 'float32');
    if (cur !== x) cur.dispose();
    cur = next;
    shape = shape.map((d, i) => (run.includes(i) ? 1 : d));
  }
  const result = cur.view(out);
  cur.dispose();
  return result;
}

/**
 * Sums a broadcast gradient back down to `shape` (leading axes and size-1 axes). The result
 * records no gradient of its own: backward rules run without recording.
 */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  if (axes.length === 0) return g.view([...shape]);
  const s = reduceAxes('sum', 'sum', g, axes, 1);
  const y = s.view([...shape]);
  s.dispose();
  return y;
}
