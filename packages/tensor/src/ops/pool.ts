// 2-D pooling over NCHW tensors (maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d) with PyTorch's
// semantics, each with a gather-formulated backward kernel (no float atomics). float16 tensors are
// pooled in their storage (sums in f32), their outputs and gradients float16.
import avgSrc from '../../shaders/pool_avg.wgsl';
import avgBackwardSrc from '../../shaders/pool_avg_backward.wgsl';
import maxSrc from '../../shaders/pool_max.wgsl';
import maxBackwardSrc from '../../shaders/pool_max_backward.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { isGradEnabled } from '../scope.ts';
import { record, Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { specialize } from './kernels.ts';
import { storageWgsl } from './storage.ts';
import { rowLaunch, rowsSrc, store4 } from './planes.ts';

/** Outputs each lane of a forward kernel computes along a row. */
const PER_LANE = 4;
/** Groups of 4 inputs each lane of a backward kernel computes along a row. */
const GROUPS_PER_LANE = 1;

/**
 * The uniform block of every pooling kernel (pool_avg, pool_max and their backward kernels): one
 * layout, so the same fields are written for all of them. x is viewed as [planes, H, W]; rows =
 * planes · OH (planes · H for the backward kernels); 2^shift lanes share a row (rows.wgsl).
 * includePad is count_include_pad of the average kernels (unused by max pooling).
 */
const poolParams = uniformBlock({
  rows: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32',
  kH: 'i32', kW: 'i32', sH: 'i32', sW: 'i32', pH: 'i32', pW: 'i32',
  includePad: 'u32', shift: 'u32',
});

type Pair = number | readonly [number, number];

export interface MaxPool2dOptions {
  kernelSize: number | readonly [number, number];
  /** Default: kernelSize. */
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends MaxPool2dOptions {
  /** Divide by the full window including padding (PyTorch's default, true). */
  countIncludePad?: boolean;
}

function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new TensorError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function checkNCHW(op: string, x: Tensor): [number, number, number, number] {
  if (x.rank !== 4) throw new TensorError(`${op}: expected an NCHW input of rank 4, got ${x.describe()}`);
  if (x.dtype === 'int32') throw new TensorError(`${op}: ${x.describe()} must be float32 or float16`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return [n, c, h, w];
}

/** PyTorch's pooling_output_shape: with ceilMode the last window must start inside the input or its left padding. */
function outSize(size: number, k: number, s: number, pad: number, ceil: boolean): number {
  const span = size + 2 * pad - k;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + pad) out--;
  return out;
}

interface Geometry {
  n: number; c: number; h: number; w: number; oh: number; ow: number;
  k: [number, number]; s: [number, number]; p: [number, number];
}

function geometry(op: string, x: Tensor, opts: MaxPool2dOptions): Geometry {
  const [n, c, h, w] = checkNCHW(op, x);
  const k = pair(op, 'kernelSize', opts.kernelSize, 1);
  const s = pair(op, 'stride', opts.stride ?? k, 1);
  const p = pair(op, 'padding', opts.padding ?? 0, 0);
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
    throw new TensorError(`${op}: padding [${p.join(', ')}] must be at most half of kernelSize [${k.join(', ')}] (input ${x.describe()})`);
  }
  const oh = outSize(h, k[0], s[0], p[0], opts.ceilMode ?? false);
  const ow = outSize(w, k[1], s[1], p[1], opts.ceilMode ?? false);
  if (oh < 1 || ow < 1) {
    throw new TensorError(`${op}: output of ${x.describe()} with kernelSize [${k.join(', ')}], stride [${s.join(', ')}], padding [${p.join(', ')}] would be ${oh}x${ow}; the input is too small`);
  }
  return { n, c, h, w, oh, ow, k, s, p };
}

/** The storage placeholders of a pooling kernel over x: ENABLE and S, the element type of x, y and g. */
function storage(x: Tensor): { ENABLE: string; S: string } {
  const s = storageWgsl(x.dtype);
  return { ENABLE: s.ENABLE, S: s.T };
}

/** Launch and uniforms of a pooling kernel whose lanes handle `items` items (values or groups of 4) of each of `rows` rows. */
function launch(label: string, g: Geometry, rows: number, items: number, perLane: number, includePad: boolean): { workgroups: [number, number, number]; uniforms: ArrayBuffer } {
  const l = rowLaunch(label, rows, items, perLane);
  const uniforms = poolParams.pack({
    rows, H: g.h, W: g.w, OH: g.oh, OW: g.ow, kH: g.k[0], kW: g.k[1], sH: g.s[0], sW: g.s[1], pH: g.p[0], pW: g.p[1],
    includePad, shift: l.shift,
  });
  return { workgroups: l.workgroups, uniforms };
}

function describeGeometry(g: Geometry): string {
  return `k [${g.k.join(', ')}] s [${g.s.join(', ')}] p [${g.p.join(', ')}]`;
}

/** torch.nn.functional.max_pool2d on NCHW input; padding is -inf; gradients go to the first maximum of each window. */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  return maxPool('maxPool2d', x, geometry('maxPool2d', x, opts), false);
}

/**
 * torch.nn.functional.adaptive_max_pool2d: output cell i takes the maximum of input rows
 * floor(i·H/out) .. ceil((i+1)·H/out) (and likewise for columns); outputSize 1 is global max pooling.
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly [number, number]): Tensor {
  return maxPool('adaptiveMaxPool2d', x, adaptiveGeometry('adaptiveMaxPool2d', x, outputSize), true);
}

function maxPool(op: string, x: Tensor, g: Geometry, adaptive: boolean): Tensor {
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow], x.dtype);
  const types = storage(x);
  const withIndices = isGradEnabled() && x.requiresGrad;
  const idx = withIndices ? Tensor.empty(y.shape, 'int32') : null;
  const rows = g.n * g.c * g.oh;
  const label = `${op} ${x.describe()} ${adaptive ? `to ${g.oh}x${g.ow}` : describeGeometry(g)}`;
  getEngine().dispatch({
    label, key: `pool_max:${adaptive}:${withIndices}:${types.S}`,
    source: () => specialize(maxSrc, {
      ...types,
      ROWS: rowsSrc,
      PARAMS: poolParams.wgsl,
      ADAPTIVE: adaptive,
      INDEX_DECL: withIndices ? '@group(0) @binding(2) var<storage, read_write> idx: array<i32>;' : '',
      STORE_INDEX: withIndices ? 'idx[o] = arg;' : '',
      PARAM_BINDING: withIndices ? 3 : 2,
    }),
    buffers: idx ? [x.buffer, y.buffer, idx.buffer] : [x.buffer, y.buffer],
    ...launch(label, g, rows, g.ow, PER_LANE, false), cost: x.size + 2 * y.size,
  });
  if (!idx) return y;
  return record(y, op, [x], (grad) => {
    const dx = Tensor.empty(x.shape, x.dtype);
    const inRows = g.n * g.c * g.h;
    getEngine().dispatch({
      label: `${label} backward`, key: `pool_max_backward:${adaptive}:${g.w % 4 === 0}:${types.S}`,
      source: () => specialize(maxBackwardSrc, { ...types, ROWS: rowsSrc, PARAMS: poolParams.wgsl, ADAPTIVE: adaptive, ...store4(g.w, x.dtype) }),
      buffers: [grad.buffer, idx.buffer, dx.buffer],
      ...launch(label, g, inRows, Math.ceil(g.w / 4), GROUPS_PER_LANE, false), cost: 2 * y.size + x.size,
    });
    return [dx];
  });
}

function avgPool(op: string, x: Tensor, g: Geometry, adaptive: boolean, includePad: boolean): Tensor {
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow], x.dtype);
  const types = storage(x);
  const rows = g.n * g.c * g.oh;
  const label = `${op} ${x.describe()} ${adaptive ? `to ${g.oh}x${g.ow}` : describeGeometry(g)}`;
  getEngine().dispatch({
    label, key: `pool_avg:${adaptive}:${types.S}`,
    source: () => specialize(avgSrc, { ...types, ROWS: rowsSrc, PARAMS: poolParams.wgsl, ADAPTIVE: adaptive }),
    buffers: [x.buffer, y.buffer],
    ...launch(label, g, rows, g.ow, PER_LANE, includePad), cost: x.size + y.size,
  });
  return record(y, op, [x], (grad) => {
    const dx = Tensor.empty(x.shape, x.dtype);
    const inRows = g.n * g.c * g.h;
    getEngine().dispatch({
      label: `${label} backward`, key: `pool_avg_backward:${adaptive}:${g.w % 4 === 0}:${types.S}`,
      source: () => specialize(avgBackwardSrc, { ...types, ROWS: rowsSrc, PARAMS: poolParams.wgsl, ADAPTIVE: adaptive, ...store4(g.w, x.dtype) }),
      buffers: [grad.buffer, dx.buffer],
      ...launch(label, g, inRows, Math.ceil(g.w / 4), GROUPS_PER_LANE, includePad), cost: x.size + y.size,
    });
    return [dx];
  });
}

/** torch.nn.functional.avg_pool2d on NCHW input (countIncludePad defaults to true, as in PyTorch). */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  return avgPool('avgPool2d', x, geometry('avgPool2d', x, opts), false, opts.countIncludePad ?? true);
}

/** torch.nn.functional.adaptive_avg_pool2d: output cell i averages input rows floor(i·H/out) .. ceil((i+1)·H/out). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number, number]): Tensor {
  return avgPool('adaptiveAvgPool2d', x, adaptiveGeometry('adaptiveAvgPool2d', x, outputSize), true, false);
}

/** The geometry of an adaptive pooling op (its windows come from the sizes alone; k, s and p are unused). */
function adaptiveGeometry(op: string, x: Tensor, outputSize: number | readonly [number, number]): Geometry {
  const [n, c, h, w] = checkNCHW(op, x);
  const [oh, ow] = pair(op, 'outputSize', outputSize, 1);
  if (h < 1 || w < 1) throw new TensorError(`${op}: ${x.describe()} has an empty spatial size`);
  if (oh * h >= 2 ** 24 || ow * w >= 2 ** 24) throw new TensorError(`${op}: ${x.describe()} to ${oh}x${ow} is beyond the index range of the kernels (out·in < 2^24 per axis)`);
  return { n, c, h, w, oh, ow, k: [1, 1], s: [1, 1], p: [0, 0] };
}
