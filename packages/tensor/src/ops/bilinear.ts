// Bilinear pooling: the HBP interaction (Yu et al. 2018), B-CNN's outer product (Lin et al. 2015),
// and the signed square root and L2 normalisation both apply to the pooled vector. float16 maps
// are read in their storage with products and sums over space in f32, each output rounded once
// to float16; outputs and gradients keep the inputs' dtype.
import gramSrc from '../../shaders/bilinear_gram.wgsl';
import hbpSrc from '../../shaders/bilinear_hbp.wgsl';
import hbpBackwardSrc from '../../shaders/bilinear_hbp_backward.wgsl';
import normalizeSrc from '../../shaders/normalize.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, MAX_WORKGROUPS_PER_DIMENSION, WORKGROUP_SIZE } from '../limits.ts';
import { normalizeAxis, sameShape, sizeOf } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { mapKernel } from './elementwise.ts';
import { specialize } from './kernels.ts';
import { matmulInto } from './matmul/matmul.ts';
import { transpose } from './movement.ts';
import { rowLaunch, rowsSrc } from './planes.ts';
import { storageWgsl, type StorageWgsl } from './storage.ts';

/** Values (of T) each lane of the HBP backward kernel writes. */
const PER_LANE = 4;

const hbpParams = uniformBlock({ rows: 'u32', L: 'u32' });
const hbpBackwardParams = uniformBlock({ rows: 'u32', L: 'u32', shift: 'u32' });
const gramParams = uniformBlock({ C: 'u32', L: 'u32', scale: 'f32' });
const normalizeParams = uniformBlock({ outer: 'u32', R: 'u32', inner: 'u32', eps: 'f32' });

/** Checks the maps are [N, C, H, W] of one float dtype and returns its storage. */
function checkMaps(op: string, ...ts: Tensor[]): StorageWgsl {
  const all = ts.map((u) => u.describe()).join(' and ');
  for (const t of ts) {
    if (t.rank !== 4) throw new TensorError(`${op}: expected [N, C, H, W] feature maps, got ${all}`);
    if (t.dtype === 'int32' || t.dtype !== ts[0]!.dtype) throw new TensorError(`${op}: ${all} must all be float32 or all float16`);
  }
  return storageWgsl(ts[0]!.dtype);
}

/** Template values for maps read along L as T (vec4 when `vec`) of storage `s`, summed as ACC (T's f32 counterpart). */
function lanes(s: StorageWgsl, vec: boolean): { ENABLE: string; S: string; T: string; ACC: string } {
  return { ENABLE: s.ENABLE, S: s.T, T: vec ? `vec4<${s.T}>` : s.T, ACC: vec ? 'vec4<f32>' : 'f32' };
}

/**
 * The HBP interaction of two projected maps a, b [N, D, H, W]: z[n, d] = Σ_{h,w} a ⊙ b, fused in
 * one kernel (no [N, D, H, W] product is materialised). Gradients: da = g ⊗ b, db = g ⊗ a.
 */
export function hbpInteraction(a: Tensor, b: Tensor): Tensor {
  const s = checkMaps('hbpInteraction', a, b);
  if (!sameShape(a.shape, b.shape)) throw new TensorError(`hbpInteraction: ${a.describe()} and ${b.describe()} must have the same shape`);
  const [n, d, h, w] = a.shape as [number, number, number, number];
  const rows = n * d;
  const L = h * w;
  const vec = L % 4 === 0;
  const y = Tensor.empty([n, d], a.dtype);
  getEngine().dispatch({
    label: `hbpInteraction ${a.describe()} ${b.describe()}`, key: `bilinear_hbp:${s.T}:${vec}`,
    source: () => specialize(hbpSrc, { PARAMS: hbpParams.wgsl, ...lanes(s, vec), TOTAL: vec ? 'acc.x + acc.y + acc.z + acc.w' : 'acc', WORKGROUP_SIZE }),
    buffers: [a.buffer, b.buffer, y.buffer], uniforms: hbpParams.pack({ rows, L: vec ? L / 4 : L }),
    workgroups: elementGrid(rows), cost: 2 * a.size,
  });
  return record(y, 'hbpInteraction', [a, b], (g) => {
    const label = `hbpInteraction ${a.describe()} backward`;
    const launch = rowLaunch(label, rows, vec ? L / 4 : L, PER_LANE);
    const spread = (other: Tensor) => {
      const out = Tensor.empty(a.shape, a.dtype);
      getEngine().dispatch({
        label, key: `bilinear_hbp_backward:${s.T}:${vec}`,
        source: () => specialize(hbpBackwardSrc, { ...lanes(s, vec), ROWS: rowsSrc, PARAMS: hbpBackwardParams.wgsl }),
        buffers: [g.buffer, other.buffer, out.buffer], uniforms: hbpBackwardParams.pack({ rows, L: vec ? L / 4 : L, shift: launch.shift }),
        workgroups: launch.workgroups, cost: 2 * a.size,
      });
      return out;
    };
    return [a.requiresGrad ? spread(b) : null, b.requiresGrad ? spread(a) : null];
  });
}

/**
 * B-CNN bilinear pooling of x [N, C, H, W]: y[n] = X·Xᵀ / (H·W) with X = x[n] as [C, H·W], so
 * y is [N, C, C]. Gradient: dX = (G + Gᵀ)·X / (H·W) for any upstream G (not assumed symmetric).
 */
export function bilinearPool(x: Tensor): Tensor {
  const s = checkMaps('bilinearPool', x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const L = h * w;
  const vec = L % 4 === 0;
  const y = Tensor.empty([n, c, c], x.dtype);
  const label = `bilinearPool ${x.describe()}`;
  const blocks = Math.ceil(c / 4);
  if (n > MAX_WORKGROUPS_PER_DIMENSION) throw new TensorError(`${label}: batch ${n} exceeds ${MAX_WORKGROUPS_PER_DIMENSION}`);
  getEngine().dispatch({
    label, key: `bilinear_gram:${s.T}:${vec}`,
    source: () => specialize(gramSrc, { ...lanes(s, vec), DOT: vec ? 'dot(vec4<f32>(a), vec4<f32>(b))' : 'f32(a) * f32(b)', PARAMS: gramParams.wgsl }),
    buffers: [x.buffer, y.buffer], uniforms: gramParams.pack({ C: c, L: vec ? L / 4 : L, scale: 1 / L }),
    workgroups: [Math.ceil(blocks / 8), Math.ceil(blocks / 8), n], cost: (n * c * (c + 4) * L) / 2,
  });
  return record(y, 'bilinearPool', [x], (g) => {
    const gt = transpose(g);
    const sym = mapKernel(`${label} backward (G + Gᵀ)/HW`, '(x + y) * p.alpha', [g, gt], 1 / L);
    gt.dispose();
    const dx = Tensor.empty(x.shape, x.dtype);
    matmulInto(`${label} backward`, sym, x, dx, n, c, c, L, c * c, c * L);
    sym.dispose();
    return [dx];
  });
}

/** sign(x)·sqrt(|x| + 1e-10), as the HBP and B-CNN code; gradient 0.5/sqrt(|x| + 1e-10) (0 at x = 0, as PyTorch's autograd of that expression). */
export function signedSqrt(x: Tensor): Tensor {
  const y = mapKernel('signedSqrt', 'sign(x) * sqrt(abs(x) + 1e-10)', [x]);
  return record(y, 'signedSqrt', [x], (g) => [mapKernel('signedSqrt backward', 'select(0.0, x * 0.5 / sqrt(abs(y) + 1e-10), y != 0.0)', [g, x])]);
}

export interface NormalizeOptions {
  /** Axis to normalise along (default 1, as F.normalize). */
  dim?: number;
  /** Lower bound of the divisor (default 1e-12). */
  eps?: number;
}

/** L2 normalisation as torch.nn.functional.normalize: x / max(‖x‖₂, eps) along `dim`. */
export function normalize(x: Tensor, opts: NormalizeOptions = {}): Tensor {
  if (x.dtype === 'int32') throw new TensorError(`normalize: ${x.describe()} must be float32 or float16`);
  const s = storageWgsl(x.dtype);
  const dim = normalizeAxis('normalize', opts.dim ?? 1, x.rank);
  const eps = opts.eps ?? 1e-12;
  const outer = sizeOf(x.shape.slice(0, dim));
  const R = x.shape[dim] ?? 1;
  const inner = sizeOf(x.shape.slice(dim + 1));
  const label = `normalize ${x.describe()} dim ${dim}`;
  const run = (g: Tensor | null): Tensor => {
    const out = Tensor.empty(x.shape, x.dtype);
    if (out.size === 0) return out;
    const backward = g !== null;
    getEngine().dispatch({
      label: `${label}${backward ? ' backward' : ''}`, key: `normalize:${s.T}:${backward}`,
      source: () => specialize(normalizeSrc, {
        ENABLE: s.ENABLE,
        S: s.T,
        BACKWARD: backward,
        GRAD_DECL: backward ? `@group(0) @binding(1) var<storage, read> g: array<${s.T}>;` : '',
        UPSTREAM: backward ? 'return f32(g[k]);' : 'return 0.0;',
        OUT_BINDING: backward ? 2 : 1,
        PARAM_BINDING: backward ? 3 : 2,
        WORKGROUP_SIZE,
        PARAMS: normalizeParams.wgsl,
      }),
      buffers: g ? [x.buffer, g.buffer, out.buffer] : [x.buffer, out.buffer],
      uniforms: normalizeParams.pack({ outer, R, inner, eps }), workgroups: elementGrid(outer * inner),
      cost: (backward ? 3 : 2) * x.size,
    });
    return out;
  };
  return record(run(null), 'normalize', [x], (g) => [run(g)]);
}
