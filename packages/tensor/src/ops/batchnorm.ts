// Batch normalisation over the channel axis of [N, C, ...] tensors, as torch.nn.functional.batch_norm,
// with an optional fused ReLU; x float32 or float16 (statistics and parameters float32). Per
// channel, everything is carried in one vec4 "params" entry (mean, invstd, weight, bias), so the
// element kernels need one lookup per plane and the backward pass needs neither the weight tensor
// nor the running statistics.
import applySrc from '../../shaders/batchnorm_apply.wgsl';
import backwardSrc from '../../shaders/batchnorm_backward.wgsl';
import backwardReduceSrc from '../../shaders/batchnorm_backward_reduce.wgsl';
import combineSrc from '../../shaders/batchnorm_combine.wgsl';
import paramsSrc from '../../shaders/batchnorm_params.wgsl';
import statsSrc from '../../shaders/batchnorm_stats.wgsl';
import updateSrc from '../../shaders/batchnorm_update.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { isGradEnabled } from '../scope.ts';
import { sizeOf } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { channelGrad, type ChannelGrad } from './channel_grad.ts';
import { full, gatherStrided, specialize } from './kernels.ts';
import { isRecomputing } from './checkpoint.ts';
import { rowLaunch, rowsSrc, type RowLaunch } from './planes.ts';

/** Values (of T) each invocation folds in one pass of the per-channel reductions: the tree's fan-in. */
const CH = 32;
/** Values (of T) each lane of the element kernels handles. */
const PER_LANE = 4;

/** A combine pass: C channels, Q partials each in, P out. */
const combineParams = uniformBlock({ C: 'u32', Q: 'u32', P: 'u32' });
/**
 * The per-plane kernels' blocks: C channels normalised of CS per image, planes = N·C rows of L
 * values (of T), 2^shift lanes per row (rows.wgsl); invM = 1 / (N·H·W), the backward pass's mean.
 */
const reduceBlock = uniformBlock({ C: 'u32', L: 'u32', planes: 'u32', N: 'u32', shift: 'u32', CS: 'u32' });
const applyParams = uniformBlock({ C: 'u32', L: 'u32', planes: 'u32', shift: 'u32', CS: 'u32' });
const backwardParams = uniformBlock({ C: 'u32', L: 'u32', planes: 'u32', shift: 'u32', invM: 'f32', CS: 'u32' });
/** The per-channel kernels' blocks (eval parameters; training's running-statistics update). */
const evalParams = uniformBlock({ C: 'u32', eps: 'f32' });
const updateParams = uniformBlock({ C: 'u32', momentum: 'f32', eps: 'f32' });

export interface BatchNormOptions {
  /** Normalise with batch statistics and update the running ones (default false, as F.batch_norm). */
  training?: boolean;
  /** Weight of the batch statistics in the running-statistics update (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** 'relu' applies max(·, 0) in the same kernel (DenseNet's BN-ReLU); the gradient is masked to match. */
  activation?: 'none' | 'relu';
  /**
   * Normalises only channels [0, channels) of x, read in place (default: all): a dense layer
   * reads the first channels of its block's buffer this way instead of from a copy. The output
   * has `channels` channels; x's gradient is zero past them, so backward returns those channels
   * only (a ChannelGrad, which autograd adds into the buffer's gradient in place).
   */
  channels?: number;
}

/**
 * x as [N·C planes, L] of T: vec4<f32> when H·W is a multiple of 4 (L = H·W / 4; 128-bit loads
 * and stores ran the element kernels 2x faster on lavapipe), else f32 (L = H·W). x holds cs ≥ c
 * channels per image, of which the first c are normalised; `size` counts those (N·c·H·W). A
 * float16 x (`half`) is stored as S, T's f16 form, and y and dx with it; the statistics, the
 * per-channel parameters and every sum stay float32 (as cuDNN's and PyTorch's mixed precision).
 */
interface Layout { n: number; c: number; cs: number; hw: number; vec: boolean; half: boolean; L: number; label: string; size: number }

function typeParams(l: Layout): Record<string, string> {
  const scalar = l.half ? 'f16' : 'f32';
  return {
    ENABLE: l.half ? 'enable f16;' : '',
    T: l.vec ? 'vec4<f32>' : 'f32',
    S: l.vec ? `vec4<${scalar}>` : scalar,
    TOTAL: l.vec ? 'v.x + v.y + v.z + v.w' : 'v',
    SHIFT: l.vec ? 'f32(x[base + k].x)' : 'f32(x[base + k])',
    WIDTH: l.vec ? '4' : '1',
    ROWS: rowsSrc,
  };
}

/** The pipeline-key part of a layout: vector width and storage. */
const typeKey = (l: Layout) => `${l.vec}:${l.half ? 'f16' : 'f32'}`;

function layout(x: Tensor, runningMean: Tensor, runningVar: Tensor, weight: Tensor | null, bias: Tensor | null, channels?: number): Layout {
  const label = `batchNorm ${x.describe()}`;
  if (x.rank < 2) throw new TensorError(`${label}: expected [N, C, ...] input of rank >= 2`);
  if (x.dtype === 'int32') throw new TensorError(`${label}: input must be float32 or float16`);
  if (x.size === 0) throw new TensorError(`${label}: input has no elements`);
  const [n, cs] = x.shape as [number, number];
  const c = channels ?? cs;
  if (!Number.isInteger(c) || c < 1 || c > cs) throw new TensorError(`${label}: channels ${c} must be an integer from 1 to ${cs}`);
  for (const [what, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c || t.dtype !== 'float32')) {
      throw new TensorError(`${label}: ${what} ${t.describe()} must be float32 of shape [${c}] (one value per channel)`);
    }
  }
  const hw = sizeOf(x.shape.slice(2));
  const vec = hw % 4 === 0;
  return { n, c, cs, hw, vec, half: x.dtype === 'float16', L: vec ? hw / 4 : hw, label, size: n * c * hw };
}

/**
 * Per-channel reduction of x (and g): `first` writes one partial per lane of each plane (P per
 * plane, as [C, N·P] vec4 entries), then passes of fan-in CH merge them to [C] entries (returned
 * as a [C·4] tensor).
 */
function channelReduce(l: Layout, first: (partial: Tensor, launch: RowLaunch) => void, chan: boolean, what: string): Tensor {
  const launch = rowLaunch(l.label, l.n * l.c, l.L, CH);
  // lanes <= L (rowLaunch never gives a lane less than one value): every partial is written and counts >= 1.
  const P = launch.lanes;
  let cur = Tensor.empty([l.c * l.n * P * 4]);
  first(cur, launch);
  let q = l.n * P;
  while (q > 1) {
    const next = Math.ceil(q / CH);
    const out = Tensor.empty([l.c * next * 4]);
    getEngine().dispatch({
      label: `${l.label} ${what} combine ${q} → ${next}`, key: `batchnorm_combine:${chan}`,
      source: () => specialize(combineSrc, { PARAMS: combineParams.wgsl, CH, CHAN: chan, WORKGROUP_SIZE }),
      buffers: [cur.buffer, out.buffer], uniforms: combineParams.pack({ C: l.c, Q: q, P: next }),
      workgroups: elementGrid(l.c * next), cost: l.c * q,
    });
    cur.dispose();
    cur = out;
    q = next;
  }
  return cur;
}

/** Uniforms of the per-plane reduction passes (stats, backward sums). */
function reduceParams(l: Layout, launch: RowLaunch): ArrayBuffer {
  return reduceBlock.pack({ C: l.c, L: l.L, planes: l.n * l.c, N: l.n, shift: launch.shift, CS: l.cs });
}

/**
 * torch.nn.functional.batch_norm for x [N, C, ...]. Training mode normalises with the batch mean
 * and biased variance and updates `runningMean` / `runningVar` in place (momentum, unbiased
 * variance, as PyTorch); eval mode uses the running statistics. `weight` / `bias` may be null
 * (1 and 0). Gradients flow to x, weight and bias in both modes.
 */
export function batchNorm(x: Tensor, runningMean: Tensor, runningVar: Tensor, weight: Tensor | null, bias: Tensor | null,
  opts: BatchNormOptions = {}): Tensor {
  const l = layout(x, runningMean, runningVar, weight, bias, opts.channels);
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const relu = (opts.activation ?? 'none') === 'relu';
  if (training && l.n * l.hw <= 1) throw new TensorError(`${l.label}: expected more than 1 value per channel when training`);
  const engine = getEngine();
  const w = weight ?? full([l.c], 1);
  const b = bias ?? full([l.c], 0);
  const params = Tensor.empty([l.c * 4]);
  if (training) {
    const stats = channelReduce(l, (partial, launch) => engine.dispatch({
      label: `${l.label} statistics`, key: `batchnorm_stats:${typeKey(l)}`, source: () => specialize(statsSrc, { ...typeParams(l), PARAMS: reduceBlock.wgsl }),
      buffers: [x.buffer, partial.buffer], uniforms: reduceParams(l, launch), workgroups: launch.workgroups, cost: l.size,
    }), true, 'statistics');
    const newMean = Tensor.empty([l.c]);
    const newVar = Tensor.empty([l.c]);
    engine.dispatch({
      label: `${l.label} update running statistics`, key: 'batchnorm_update', source: () => specialize(updateSrc, { PARAMS: updateParams.wgsl, WORKGROUP_SIZE }),
      buffers: [stats.buffer, runningMean.buffer, runningVar.buffer, w.buffer, b.buffer, params.buffer, newMean.buffer, newVar.buffer],
      uniforms: updateParams.pack({ C: l.c, momentum, eps }), workgroups: [Math.ceil(l.c / WORKGROUP_SIZE), 1, 1], cost: l.c,
    });
    stats.dispose();
    if (isRecomputing()) {
      // A checkpoint's rerun: the forward pass already updated the running statistics.
      newMean.dispose();
      newVar.dispose();
    } else {
      runningMean.assign(newMean);
      runningVar.assign(newVar);
    }
  } else {
    engine.dispatch({
      label: `${l.label} eval parameters`, key: 'batchnorm_params', source: () => specialize(paramsSrc, { PARAMS: evalParams.wgsl, WORKGROUP_SIZE }),
      buffers: [runningMean.buffer, runningVar.buffer, w.buffer, b.buffer, params.buffer],
      uniforms: evalParams.pack({ C: l.c, eps }), workgroups: [Math.ceil(l.c / WORKGROUP_SIZE), 1, 1], cost: l.c,
    });
  }
  if (!weight) w.dispose();
  if (!bias) b.dispose();

  const y = Tensor.empty([l.n, l.c, ...x.shape.slice(2)], x.dtype);
  const planes = rowLaunch(l.label, l.n * l.c, l.L, PER_LANE);
  engine.dispatch({
    label: l.label, key: `batchnorm_apply:${typeKey(l)}:${relu}`, source: () => specialize(applySrc, { ...typeParams(l), PARAMS: applyParams.wgsl, RELU: relu }),
    buffers: [x.buffer, params.buffer, y.buffer], uniforms: applyParams.pack({ C: l.c, L: l.L, planes: l.n * l.c, shift: planes.shift, CS: l.cs }),
    workgroups: planes.workgroups, cost: 2 * l.size,
  });
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) {
    params.dispose();
    return y;
  }
  return record(y, 'batchNorm', inputs, (g) => {
    const needSums = training ? x.requiresGrad || !!weight?.requiresGrad || !!bias?.requiresGrad
      : !!weight?.requiresGrad || !!bias?.requiresGrad;
    const sums = needSums ? channelReduce(l, (partial, launch) => engine.dispatch({
      label: `${l.label} backward sums`, key: `batchnorm_backward_reduce:${typeKey(l)}:${relu}`,
      source: () => specialize(backwardReduceSrc, { ...typeParams(l), PARAMS: reduceBlock.wgsl, RELU: relu }),
      buffers: [x.buffer, g.buffer, params.buffer, partial.buffer], uniforms: reduceParams(l, launch),
      workgroups: launch.workgroups, cost: 2 * l.size,
    }), false, 'backward sums') : null;
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = Tensor.empty(y.shape, x.dtype);
      engine.dispatch({
        label: `${l.label} backward`, key: `batchnorm_backward:${typeKey(l)}:${relu}:${training}`,
        source: () => specialize(backwardSrc, {
          ...typeParams(l), PARAMS: backwardParams.wgsl, RELU: relu,
          SUMS_DECL: training ? '@group(0) @binding(3) var<storage, read> sums: array<vec4<f32>>;' : '',
          SUMS_BODY: training ? 'return sums[c].xy;' : 'return vec2<f32>(0.0);',
          DX_BINDING: training ? 4 : 3,
          PARAM_BINDING: training ? 5 : 4,
        }),
        buffers: training ? [x.buffer, g.buffer, params.buffer, sums!.buffer, dx.buffer] : [x.buffer, g.buffer, params.buffer, dx.buffer],
        uniforms: backwardParams.pack({ C: l.c, L: l.L, planes: l.n * l.c, shift: planes.shift, invM: 1 / (l.n * l.hw), CS: l.cs }),
        workgroups: planes.workgroups, cost: 3 * l.size,
      });
    }
    const component = (i: number, what: string) => gatherStrided(`${l.label} ${what} gradient`, sums!, [l.c], [4], i);
    const grads: (Tensor | ChannelGrad | null)[] = [dx && l.cs > l.c ? channelGrad(dx, 0) : dx];
    if (weight) grads.push(weight.requiresGrad ? component(1, 'weight') : null);
    if (bias) grads.push(bias.requiresGrad ? component(0, 'bias') : null);
    sums?.dispose();
    return grads;
  });
}
