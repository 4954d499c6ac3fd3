// Movement ops. Tensors are always contiguous: reshape is a view of the same storage, the
// others copy through the strided-copy kernel (shaders/copy.wgsl).
import gatherSrc from '../../shaders/gather.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError, describeShape } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { broadcastShapes, broadcastStrides, checkShape, normalizeAxis, sameShape, sizeOf, stridesOf, type Shape } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { checkRank, fillTensor, gatherStrided, specialize, stridedCopy } from './kernels.ts';
import { sumTo } from './reduce_kernel.ts';

export function reshape(x: Tensor, shape: number[]): Tensor {
  const infer = shape.indexOf(-1);
  let target = [...shape];
  if (infer >= 0) {
    const known = sizeOf(shape.filter((_, i) => i !== infer));
    if (known === 0 || x.size % known !== 0) throw new TensorError(`reshape: cannot reshape ${x.describe()} to ${describeShape(shape)}`);
    target[infer] = x.size / known;
  }
  checkShape('reshape', target);
  if (sizeOf(target) !== x.size) throw new TensorError(`reshape: cannot reshape ${x.describe()} (${x.size} elements) to ${describeShape(target)}`);
  target = target.map(Number);
  const y = x.view(target);
  return record(y, 'reshape', [x], (g) => [g.view(x.shape)]);
}

export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', start, x.rank);
  const e = normalizeAxis('flatten', end, x.rank);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normalizeAxis('squeeze', axis, x.rank);
  if (x.shape[a] !== 1) return reshape(x, [...x.shape]);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

export function clone(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape, x.dtype);
  if (x.size > 0) getEngine().copy(x.buffer, 0, y.buffer, 0, y.storage.bytes);
  return record(y, 'clone', [x], (g) => [g]);
}

export function permute(x: Tensor, axes: number[]): Tensor {
  if (axes.length !== x.rank) throw new TensorError(`permute: ${axes.length} axes given for ${x.describe()}`);
  const ax = axes.map((a) => normalizeAxis('permute', a, x.rank));
  if (new Set(ax).size !== ax.length) throw new TensorError(`permute: axes [${axes.join(', ')}] repeat an axis`);
  checkRank('permute', x.shape);
  const strides = stridesOf(x.shape);
  const shape = ax.map((a) => x.shape[a]!);
  const y = gatherStrided(`permute ${x.describe()} [${ax.join(', ')}]`, x, shape, ax.map((a) => strides[a]!));
  const inverse = new Array<number>(ax.length);
  ax.forEach((a, i) => { inverse[a] = i; });
  return record(y, 'permute', [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const axes = Array.from({ length: x.rank }, (_, i) => i);
  const i = normalizeAxis('transpose', a, x.rank);
  const j = normalizeAxis('transpose', b, x.rank);
  [axes[i], axes[j]] = [axes[j]!, axes[i]!];
  return permute(x, axes);
}

/** Broadcasts x to `shape` (NumPy rules; -1 keeps a dimension), materialising the copy. */
export function expand(x: Tensor, shape: number[]): Tensor {
  const off = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - off]! : d));
  const full = broadcastShapes('expand', x.shape, target);
  if (!sameShape(full, target)) throw new TensorError(`expand: cannot expand ${x.describe()} to ${describeShape(shape)}`);
  if (sameShape(x.shape, target)) return x;
  checkRank('expand', target);
  const y = gatherStrided(`expand ${x.describe()} to ${describeShape(target)}`, x, target, broadcastStrides(x.shape, target));
  return record(y, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

function resolveSlice(x: Tensor, starts: number[], ends: number[], steps?: number[]) {
  const rank = x.rank;
  if (starts.length > rank || ends.length > rank) throw new TensorError(`slice: more bounds than axes of ${x.describe()}`);
  const begin: number[] = [], step: number[] = [], shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = x.shape[i]!;
    const st = steps?.[i] ?? 1;
    if (!Number.isInteger(st) || st < 1) throw new TensorError(`slice: step ${st} on axis ${i} must be a positive integer`);
    let s = starts[i] ?? 0;
    let e = ends[i] ?? d;
    if (s < 0) s += d;
    if (e < 0) e += d;
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, s), d);
    begin.push(s); step.push(st); shape.push(Math.ceil((e - s) / st));
  }
  return { begin, step, shape };
}

/** x[starts:ends:steps] per axis (missing entries take the whole axis; negatives count from the end). */
export function slice(x: Tensor, starts: number[], ends: number[], steps?: number[]): Tensor {
  checkRank('slice', x.shape);
  const { begin, step, shape } = resolveSlice(x, starts, ends, steps);
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
  const y = gatherStrided(`slice ${x.describe()}`, x, shape, strides.map((s, i) => s * step[i]!), offset);
  return record(y, 'slice', [x], (g) => {
    const gx = Tensor.empty(x.shape);
    fillTensor(gx, 0);
    stridedCopy('slice backward', g, stridesOf(shape), 0, gx, strides.map((s, i) => s * step[i]!), offset, shape);
    return [gx];
  });
}

/** Pads each axis with `value`: pads[i] = [before, after] (missing axes unpadded). */
export function pad(x: Tensor, pads: [number, number][], value = 0): Tensor {
  checkRank('pad', x.shape);
  if (pads.length > x.rank) throw new TensorError(`pad: ${pads.length} pad pairs for ${x.describe()}`);
  const p: [number, number][] = x.shape.map((_, i) => pads[i] ?? [0, 0]);
  for (const [b, a] of p) if (!Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0) throw new TensorError(`pad: pads must be non-negative integers, got ${JSON.stringify(pads)}`);
  const shape = x.shape.map((d, i) => d + p[i]![0] + p[i]![1]);
  const y = Tensor.empty(shape, x.dtype);
  fillTensor(y, value);
  const ys = stridesOf(shape);
  const offset = p.reduce((acc, [b], i) => acc + b * ys[i]!, 0);
  stridedCopy(`pad ${x.describe()}`, x, stridesOf(x.shape), 0, y, ys, offset, x.shape);
  return record(y, 'pad', [x], (g) => [slice(g, p.map(([b]) => b), p.map(([b], i) => b + x.shape[i]!))]);
}

/** Joins tensors of equal shape except along `axis`. */
export function concat(given: readonly Tensor[], axis = 0): Tensor {
  // The backward rule keeps the parts: a copy, so a caller that later pushes to its array changes nothing here.
  const tensors = [...given];
  if (tensors.length === 0) throw new TensorError('concat: no tensors given');
  const first = tensors[0]!;
  const a = normalizeAxis('concat', axis, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i]) || t.dtype !== first.dtype) {
      throw new TensorError(`concat: ${t.describe()} does not match ${first.describe()} outside axis ${a}`);
    }
  }
  checkRank('concat', first.shape);
  const shape = [...first.shape];
  shape[a] = tensors.reduce((acc, t) => acc + t.shape[a]!, 0);
  const y = Tensor.empty(shape, first.dtype);
  const ys = stridesOf(shape);
  let offset = 0;
  const starts: number[] = [];
  for (const t of tensors) {
    starts.push(offset);
    stridedCopy(`concat ${t.describe()}`, t, stridesOf(t.shape), 0, y, ys, offset * ys[a]!, t.shape);
    offset += t.shape[a]!;
  }
  return record(y, 'concat', tensors, (g) => tensors.map((t, i) => {
    if (!t.requiresGrad) return null;
    const s = new Array<number>(t.rank).fill(0);
    const e = [...g.shape];
    s[a] = starts[i]!;
    e[a] = starts[i]! + t.shape[a]!;
    return slice(g, s, e);
  }));
}

export function stack(tensors: Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new TensorError('stack: no tensors given');
  const a = normalizeAxis('stack', axis, tensors[0]!.rank + 1);
  return concat(tensors.map((t) => unsqueeze(t, a)), a);
}

const gatherParams = uniformBlock({ outer: 'u32', R: 'u32', inner: 'u32', J: 'u32' });

/** Selects entries `index` (int32, 1-D) along `axis`, like torch.index_select. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis('indexSelect', axis, x.rank);
  if (index.dtype !== 'int32' || index.rank !== 1) throw new TensorError(`indexSelect: index must be a 1-D int32 tensor, got ${index.describe()}`);
  const outer = sizeOf(x.shape.slice(0, a));
  const R = x.shape[a]!;
  const inner = sizeOf(x.shape.slice(a + 1));
  const J = index.size;
  const shape = [...x.shape];
  shape[a] = J;
  const run = (src: Tensor, dstShape: Shape, backward: boolean): Tensor => {
    const out = Tensor.empty(dstShape);
    if (out.size === 0) return out;
    getEngine().dispatch({
      label: `indexSelect${backward ? ' backward' : ''} ${x.describe()} axis ${a} ${index.describe()}`,
      key: `gather:${backward}`, source: () => specialize(gatherSrc, { PARAMS: gatherParams.wgsl, BACKWARD: backward, WORKGROUP_SIZE }),
      buffers: [src.buffer, index.buffer, out.buffer], uniforms: gatherParams.pack({ outer, R, inner, J }),
      workgroups: elementGrid(out.size),
    });
    return out;
  };
  const y = run(x, shape, false);
  return record(y, 'indexSelect', [x], (g) => [run(g, x.shape, true)]);
}

/** Alias of indexSelect. */
export const gather = indexSelect;
