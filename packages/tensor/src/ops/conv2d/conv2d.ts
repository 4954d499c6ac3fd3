// 2-D convolution like torch.nn.functional.conv2d: NCHW input, OIHW weights, stride, padding,
// dilation, groups; optional bias and a fused ReLU; and its backward rule. The forward pass, the
// input gradient and the weight gradient each run the kernel candidates.ts chooses (dispatch.ts);
// the bias gradient is a reduction of the upstream gradient over N, H, W. float16 operands run the
// f16 variants of the same kernels in all three ops (f16 storage, f32 sums), so the activations a
// float16 network saves stay float16 through backward; each gradient is rounded to float16 once.
import type { TuneBench } from '../../autotune.ts';
import { TensorError } from '../../errors.ts';
import { conv2dFlops, countFlops } from '../../flops.ts';
import { record, Tensor, type DType } from '../../tensor.ts';
import { cast } from '../cast.ts';
import { mapKernel } from '../elementwise.ts';
import { fillTensor } from '../kernels.ts';
import { sum } from '../reduce.ts';
import { chooseKernel, convCandidates, type ConvOp } from './candidates.ts';
import { backwardInputInto, backwardWeight, forwardInto } from './dispatch.ts';
import { checkDtypes, checkGradShape, geometry, wShapeOf, xShapeOf, yShapeOf, type ConvGeom, type Pair } from './geometry.ts';
import { formatConvVariant, type ConvKernel, type ConvVariant } from './variant.ts';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** 'relu' applies max(·, 0) after the bias inside the forward kernel; the gradient is masked to match. */
  activation?: 'none' | 'relu';
  /**
   * Forces kernel variants instead of the autotuner's choice (tests, benchmarks): `sg<r>x<p>`,
   * `reg<r>x<p>`, the shared-memory tiles `t<BM>x<BN>` with an optional split-K suffix `k<S>`
   * (the weight gradient takes none), `row<r>x<p>` for 3x3 stride-1 forward passes and input
   * gradients, or for 1x1 stride-1 unpadded ungrouped convolutions `mm:<matmul variant>`
   * (ops/conv2d/variant.ts).
   */
  kernels?: { forward?: ConvVariant; backwardInput?: ConvVariant; backwardWeight?: ConvVariant };
}

/** Tuning inputs: timing needs finite values, not particular ones (float16 buffers fill in place with zeros only). */
function filled(shape: number[], dtype: DType = 'float32'): Tensor {
  const t = Tensor.empty(shape, dtype);
  fillTensor(t, dtype === 'float16' ? 0 : 0.5);
  return t;
}

const disposeAll = (...ts: Tensor[]) => () => ts.forEach((t) => t.dispose());

/** The tuner's scratch inputs for `op` on this shape: each run records the op with the kernel being timed. */
function tuneBench(g: ConvGeom, op: ConvOp, dtype: DType): TuneBench<ConvKernel> {
  switch (op) {
    case 'forward': {
      const x = filled(xShapeOf(g), dtype), w = filled(wShapeOf(g), dtype);
      const run = (k: ConvKernel) => forwardInto('conv2d (autotune)', x, w, null, Tensor.empty(yShapeOf(g), dtype), g, false, k).dispose();
      return { run, dispose: disposeAll(x, w) };
    }
    case 'backwardInput': {
      const dy = filled(yShapeOf(g), dtype), w = filled(wShapeOf(g), dtype), dx = Tensor.empty(xShapeOf(g), dtype);
      return { run: (k) => backwardInputInto('conv2d backward input (autotune)', dy, w, dx, g, k), dispose: disposeAll(dy, w, dx) };
    }
    case 'backwardWeight': {
      const x = filled(xShapeOf(g), dtype), dy = filled(yShapeOf(g), dtype);
      return { run: (k) => backwardWeight('conv2d backward weight (autotune)', x, dy, g, k).dispose(), dispose: disposeAll(x, dy) };
    }
  }
}

function pick(label: string, op: ConvOp, g: ConvGeom, opts: Conv2dOptions, dtype: DType = 'float32'): ConvKernel {
  return chooseKernel(label, op, g, opts.kernels?.[op], () => tuneBench(g, op, dtype), dtype);
}

/**
 * 2-D convolution of x [N, C, H, W] with w [O, C / groups, KH, KW] and optional bias b [O],
 * as torch.nn.functional.conv2d; `activation: 'relu'` fuses a ReLU after the bias.
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const g = geometry('conv2d', x.shape, w.shape, opts, [x.describe(), w.describe()]);
  checkDtypes('conv2d', x, w, ...(b ? [b] : []));
  if (b && (b.rank !== 1 || b.shape[0] !== g.G * g.Og)) throw new TensorError(`conv2d: bias ${b.describe()} must be [${g.G * g.Og}] (one per output channel of weight ${w.describe()})`);
  const relu = opts.activation === 'relu';
  const label = `conv2d ${x.describe()} * ${w.describe()}`;
  const kernel = pick(label, 'forward', g, opts, x.dtype);
  const empty = Tensor.empty(yShapeOf(g), x.dtype);
  const y = empty.size === 0 ? empty : forwardInto(label, x, w, b, empty, g, relu, kernel);
  countFlops(conv2dFlops(x.shape, w.shape, y.shape));
  const inputs = b ? [x, w, b] : [x, w];
  return record(y, relu ? 'conv2d+relu' : 'conv2d', inputs, (gy) => {
    // Through the ReLU: the gradient passes where the output is positive (in y's dtype: autograd
    // hands a float16 output a float16 gradient).
    const gz = relu ? mapKernel('conv2d relu backward', 'select(0.0, x, y > 0.0)', [gy, y]) : gy;
    const grads = [
      x.requiresGrad ? conv2dBackwardInput(gz, w, x.shape, opts) : null,
      w.requiresGrad ? conv2dBackwardWeight(x, gz, w.shape, opts) : null,
      b?.requiresGrad ? sum(gz, [0, 2, 3]) : null,
    ];
    return grads.slice(0, inputs.length);
  });
}

/**
 * Gradient of conv2d with respect to its input x of shape `xShape`, for upstream dy (no autograd):
 * dy and w both float32 or both float16, dx in their dtype.
 */
export function conv2dBackwardInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const g = geometry('conv2d backward input', xShape, w.shape, opts, [`[${xShape.join(', ')}]`, w.describe()]);
  checkDtypes('conv2d backward input', dy, w);
  checkGradShape('conv2d backward input', dy, g);
  const label = `conv2d backward input ${dy.describe()} * ${w.describe()}`;
  const dx = Tensor.empty(xShapeOf(g), dy.dtype);
  if (dx.size > 0) backwardInputInto(label, dy, w, dx, g, pick(label, 'backwardInput', g, opts, dy.dtype));
  countFlops(conv2dFlops(dx.shape, w.shape, dy.shape));
  return dx;
}

/**
 * Gradient of conv2d with respect to its weight of shape `wShape`, for input x and upstream dy (no
 * autograd): x and dy both float32 or both float16, the gradient in their dtype (a float16 one is
 * the float32 sum rounded once).
 */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const g = geometry('conv2d backward weight', x.shape, wShape, opts, [x.describe(), `[${wShape.join(', ')}]`]);
  checkDtypes('conv2d backward weight', x, dy);
  checkGradShape('conv2d backward weight', dy, g);
  if (g.N === 0) {
    const z = Tensor.empty(wShapeOf(g), x.dtype);
    fillTensor(z, 0);
    return z;
  }
  const label = `conv2d backward weight ${x.describe()} ${dy.describe()}`;
  countFlops(conv2dFlops(x.shape, wShape, dy.shape));
  const dw = backwardWeight(label, x, dy, g, pick(label, 'backwardWeight', g, opts, x.dtype));
  if (dw.dtype === x.dtype) return dw;
  const rounded = cast(dw, x.dtype);
  dw.dispose();
  return rounded;
}

/**
 * The variants that can run these shapes on this adapter (benchmarks, tests); the autotuner times
 * those of them that keep most of their lanes busy on the map (candidates.ts).
 */
export function conv2dVariants(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): { forward: ConvVariant[]; backwardInput: ConvVariant[]; backwardWeight: ConvVariant[] } {
  const g = geometry('conv2dVariants', xShape, wShape, opts, [`[${xShape.join(', ')}]`, `[${wShape.join(', ')}]`]);
  const names = (op: ConvOp) => convCandidates(g, op).map(formatConvVariant);
  return { forward: names('forward'), backwardInput: names('backwardInput'), backwardWeight: names('backwardWeight') };
}

/** The kernel each op would use now for these shapes and operand dtype: the autotuner's choice, or the adapter default. */
export function conv2dKernels(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}, dtype: DType = 'float32'): { forward: ConvVariant; backwardInput: ConvVariant; backwardWeight: ConvVariant } {
  const g = geometry('conv2dKernels', xShape, wShape, opts, [`[${xShape.join(', ')}]`, `[${wShape.join(', ')}]`]);
  const name = (op: ConvOp) => formatConvVariant(pick('conv2dKernels', op, g, opts, dtype));
  return { forward: name('forward'), backwardInput: name('backwardInput'), backwardWeight: name('backwardWeight') };
}
