// Fused optimiser updates (shaders/optim_*.wgsl): one dispatch per parameter and step, in place,
// for @drgrade/nn's SGD and Adam/AdamW, and the moving average of weights (emaUpdate). Element-wise ops would take 6 (SGD) to 12 (Adam)
// dispatches per parameter; for a DenseNet169 that was half of a training step's dispatches.
import adamSrc from '../../shaders/optim_adam.wgsl';
import emaSrc from '../../shaders/optim_ema.wgsl';
import sgdSrc from '../../shaders/optim_sgd.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import type { Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { specialize } from './kernels.ts';

export interface SgdStepOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** The momentum buffer's first step: it starts as the (decayed) gradient, not from its contents. */
  first: boolean;
}

export interface AdamStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: the decay scales the parameter instead of adding to the gradient. */
  decoupled: boolean;
  /** The step number t (1 at the first step), for the bias corrections. */
  step: number;
}

const sgdParams = uniformBlock({ n: 'u32', nesterov: 'u32', first: 'u32', lr: 'f32', momentum: 'f32', dampening: 'f32', weightDecay: 'f32' });
const adamParams = uniformBlock({
  n: 'u32', decoupled: 'u32', lr: 'f32', beta1: 'f32', beta2: 'f32', eps: 'f32', weightDecay: 'f32',
  /** The bias corrections of step t: 1 − β1^t and √(1 − β2^t). */
  bias1: 'f32', sqrtBias2: 'f32',
});

const emaParams = uniformBlock({ n: 'u32', decay: 'f32' });

/** Every tensor of an update must be float32 with the parameter's number of elements. */
function check(op: string, param: Tensor, others: Record<string, Tensor>): void {
  if (param.dtype !== 'float32') throw new TensorError(`${op}: parameter ${param.describe()} must be float32`);
  for (const [name, t] of Object.entries(others)) {
    if (t.dtype !== 'float32' || t.size !== param.size) {
      throw new TensorError(`${op}: ${name} ${t.describe()} must be float32 with the ${param.size} elements of parameter ${param.describe()}`);
    }
  }
}

/**
 * One torch.optim.SGD step of `param` in place from `grad`; `buffer` is the momentum buffer
 * (updated in place; null without momentum).
 */
export function sgdStep(param: Tensor, grad: Tensor, buffer: Tensor | null, o: SgdStepOptions): void {
  const momentum = o.momentum !== 0;
  if (momentum !== (buffer !== null)) throw new TensorError(`sgdStep: ${param.describe()}: a momentum buffer is needed exactly when momentum ≠ 0`);
  check('sgdStep', param, { gradient: grad, ...(buffer ? { 'momentum buffer': buffer } : {}) });
  if (param.size === 0) return;
  getEngine().dispatch({
    label: `SGD step of ${param.describe()}`, key: `optim:sgd:${momentum}`,
    source: () => specialize(sgdSrc, {
      PARAMS: sgdParams.wgsl,
      WORKGROUP_SIZE,
      MOMENTUM_BINDING: momentum ? '@group(0) @binding(2) var<storage, read_write> B: array<f32>;' : '',
      PARAM_BINDING: momentum ? 3 : 2,
      MOMENTUM_STEP: momentum ? `  var b = d;
  if (p.first == 0u) { b = p.momentum * B[i] + (1.0 - p.dampening) * d; }
  B[i] = b;
  d = select(b, d + p.momentum * b, p.nesterov != 0u);` : '',
    }),
    buffers: buffer ? [grad.buffer, param.buffer, buffer.buffer] : [grad.buffer, param.buffer],
    uniforms: sgdParams.pack({ n: param.size, nesterov: o.nesterov, first: o.first, lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weightDecay }),
    workgroups: elementGrid(param.size), cost: param.size,
  });
}

/**
 * One torch.optim.Adam (or AdamW, `decoupled`) step of `param` in place from `grad`, updating
 * the moment estimates `expAvg`, `expAvgSq` and, with AMSGrad, the running maximum `maxExpAvgSq`.
 */
export function adamStep(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor | null, o: AdamStepOptions): void {
  const ams = maxExpAvgSq !== null;
  check('adamStep', param, { gradient: grad, 'first moment': expAvg, 'second moment': expAvgSq, ...(maxExpAvgSq ? { 'AMSGrad maximum': maxExpAvgSq } : {}) });
  if (!(Number.isInteger(o.step) && o.step >= 1)) throw new TensorError(`adamStep: step must be an integer >= 1, got ${o.step}`);
  if (param.size === 0) return;
  getEngine().dispatch({
    label: `Adam step of ${param.describe()}`, key: `optim:adam:${ams}`,
    source: () => specialize(adamSrc, {
      PARAMS: adamParams.wgsl,
      WORKGROUP_SIZE,
      AMSGRAD_BINDING: ams ? '@group(0) @binding(4) var<storage, read_write> VMAX: array<f32>;' : '',
      PARAM_BINDING: ams ? 5 : 4,
      AMSGRAD_STEP: ams ? '  second = max(VMAX[i], v);\n  VMAX[i] = second;' : '',
    }),
    buffers: [grad.buffer, param.buffer, expAvg.buffer, expAvgSq.buffer, ...(maxExpAvgSq ? [maxExpAvgSq.buffer] : [])],
    uniforms: adamParams.pack({
      n: param.size, decoupled: o.decoupled, lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay,
      bias1: 1 - o.beta1 ** o.step, sqrtBias2: Math.sqrt(1 - o.beta2 ** o.step),
    }),
    workgroups: elementGrid(param.size), cost: param.size,
  });
}

/**
 * One step of an exponential moving average, in place: average = decay·average + (1 − decay)·value
 * (torch's average.lerp_(value, 1 − decay)), for a moving average of a network's weights.
 */
export function emaUpdate(average: Tensor, value: Tensor, decay: number): void {
  check('emaUpdate', average, { value });
  if (!(decay >= 0 && decay <= 1)) throw new TensorError(`emaUpdate: decay must be in [0, 1], got ${decay}`);
  if (average.size === 0) return;
  getEngine().dispatch({
    label: `moving average of ${average.describe()}`, key: 'optim:ema',
    source: () => specialize(emaSrc, { PARAMS: emaParams.wgsl, WORKGROUP_SIZE }),
    buffers: [value.buffer, average.buffer],
    uniforms: emaParams.pack({ n: average.size, decay }),
    workgroups: elementGrid(average.size), cost: average.size,
  });
}
