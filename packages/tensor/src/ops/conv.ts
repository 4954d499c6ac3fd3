// 2-D convolution like torch.nn.functional.conv2d: NCHW input, OIHW weights, stride, padding,
// dilation, groups; optional bias and a fused ReLU. Forward, input gradient and weight gradient
// each have their own kernels (ops/conv2d_kernels.ts, shaders/conv2d_*.wgsl); the autotuner
// (autotune.ts) picks among them per shape class, and 1x1 stride-1 convolutions can also run as
// batched matmuls. The bias gradient is a reduction of the upstream gradient over N, H, W.
import { sizeClass, tuned, type TuneBench } from '../autotune.ts';
import { TensorError } from '../errors.ts';
import { noGrad } from '../scope.ts';
import { record, Tensor } from '../tensor.ts';
import {
  biasRelu, convBackwardInputInto, convBackwardWeightParts, convCandidates, convForwardInto, isPointwise, mostlyBusy, phasePixels, rowVariants, type ConvGeom, type ConvVariant,
} from './conv2d_kernels.ts';
import { mapKernel } from './elementwise.ts';
import { parseTile } from './gemm_tiled.ts';
import { fillTensor } from './kernels.ts';
import { isMatmulVariant, matmulCandidates, matmulInto, type MatmulVariant } from './matmul.ts';
import { transpose } from './movement.ts';
import { sum } from './reduce.ts';

type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** 'relu' applies max(·, 0) after the bias inside the forward kernel; the gradient is masked to match. */
  activation?: 'none' | 'relu';
  /**
   * Forces kernel variants instead of the autotuner's choice (tests, benchmarks): `sg<r>x<p>`,
   * `reg<r>x<p>` (see conv2d_kernels.ts), the shared-memory tiles `t<BM>x<BN>` with an optional
   * split-K suffix `k<S>` (gemm_tiled.ts; the weight gradient takes none), `row<r>x<p>` for 3x3
   * stride-1 forward passes and input gradients, or for 1x1 stride-1 unpadded ungrouped
   * convolutions `mm:<matmul variant>`.
   */
  kernels?: { forward?: ConvVariant; backwardInput?: ConvVariant; backwardWeight?: ConvVariant };
}

function pair(op: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new TensorError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Checks the operands and works out the output size; errors name the shapes involved. */
function geometry(op: string, xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions, what: [string, string]): ConvGeom {
  if (xShape.length !== 4) throw new TensorError(`${op}: input ${what[0]} must be 4-D [N, C, H, W]`);
  if (wShape.length !== 4) throw new TensorError(`${op}: weight ${what[1]} must be 4-D [out channels, in channels / groups, KH, KW]`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [O, Cg, KH, KW] = wShape as [number, number, number, number];
  const G = opts.groups ?? 1;
  if (!Number.isInteger(G) || G < 1) throw new TensorError(`${op}: groups must be a positive integer, got ${G}`);
  if (C % G !== 0 || O % G !== 0) {
    throw new TensorError(`${op}: groups=${G} must divide both the input channels (${C}, input ${what[0]}) and the output channels (${O}, weight ${what[1]})`);
  }
  if (Cg * G !== C) {
    throw new TensorError(`${op}: input ${what[0]} has ${C} channels but weight ${what[1]} expects ${Cg} per group x ${G} group${G > 1 ? 's' : ''} = ${Cg * G}`);
  }
  if (KH < 1 || KW < 1 || O < 1) throw new TensorError(`${op}: weight ${what[1]} has an empty dimension`);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1, 1);
  const Ho = Math.floor((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + 2 * pw - dw * (KW - 1) - 1) / sw) + 1;
  if (Ho < 1 || Wo < 1) {
    throw new TensorError(`${op}: input ${what[0]} is too small for weight ${what[1]} with padding [${ph}, ${pw}] and dilation [${dh}, ${dw}]: the output would be ${Ho}x${Wo}`);
  }
  return { N, G, Cg, Og: O / G, H, W, Ho, Wo, KH, KW, sh, sw, ph, pw, dh, dw };
}

/** 1x1, stride 1, no padding, one group: Y[n] = W · X[n] is a batched matmul. */
function pointwise(g: ConvGeom): boolean {
  return isPointwise(g) && g.G === 1;
}

function shapeClass(g: ConvGeom): string {
  const grouping = g.G === 1 ? 'dense' : g.Cg === 1 ? 'depthwise' : 'grouped';
  return `k${g.KH}x${g.KW} s${g.sh}x${g.sw} d${g.dh}x${g.dw} ${grouping} c${sizeClass(g.Cg)} o${sizeClass(g.Og)} hw${sizeClass(g.Ho * g.Wo)} n${sizeClass(g.N)}`;
}

/** Forward or input-gradient variants, the adapter's default first (1x1 adds the matmul kernels, M x K by K x N). */
function candidates(g: ConvGeom, op: 'forward' | 'backwardInput', M: number, K: number, N: number): ConvVariant[] {
  const conv = convCandidates(g, op);
  if (!pointwise(g)) return conv;
  // The tiled matmul would repeat the tiled conv kernels (which fuse the epilogue): register kernels only.
  const mm = matmulCandidates(M, K, N, g.N).filter((v) => parseTile(v) === null).map((v) => `mm:${v}`);
  // On a 1x1 the subgroup matmul and the conv kernel each win on some shapes (the tuner decides);
  // the conv kernel stays the default since it fuses bias and ReLU.
  return [conv[0]!, ...mm, ...conv.slice(1)];
}

/** The forward pass and the input gradient also have row-shared kernels for 3x3 stride-1 convolutions. */
function forwardCandidates(g: ConvGeom): ConvVariant[] {
  return [...candidates(g, 'forward', g.Og, g.Cg, g.Ho * g.Wo), ...rowVariants(g, 'forward')];
}

function backwardInputCandidates(g: ConvGeom): ConvVariant[] {
  return [...candidates(g, 'backwardInput', g.Cg, g.Og, g.H * g.W), ...rowVariants(g, 'backwardInput')];
}

/** What the tuner times: the default first, then the other candidates that keep most of their lanes busy on a map of `pixels` and `rows` channels. */
function busy(list: ConvVariant[], pixels: number, rows: number): ConvVariant[] {
  return [list[0]!, ...list.slice(1).filter((v) => mostlyBusy(v, pixels, rows))];
}

const backwardWeightCandidates = (g: ConvGeom) => convCandidates(g, 'backwardWeight');

function filled(shape: number[]): Tensor {
  const t = Tensor.empty(shape);
  fillTensor(t, 0.5);
  return t;
}

/** The forced variant (checked), or the tuner's pick from `candidates` (built only then: ops call this every time). */
function choose(op: string, g: ConvGeom, forced: ConvVariant | undefined, candidates: () => ConvVariant[], make: () => TuneBench): ConvVariant {
  if (forced !== undefined) {
    if (forced.startsWith('mm:')) {
      if (!pointwise(g)) throw new TensorError(`${op}: kernel '${forced}' only runs 1x1 stride-1 unpadded ungrouped convolutions`);
      if (!isMatmulVariant(forced.slice(3))) throw new TensorError(`${op}: unknown kernel '${forced}' (matmul kernels: vec4, scalar, sg, sgv, t<BM>x<BN>[k<S>])`);
    }
    return forced;
  }
  const list = candidates();
  return tuned(op, shapeClass(g), list, list[0]!, make);
}

const xShapeOf = (g: ConvGeom) => [g.N, g.G * g.Cg, g.H, g.W];
const wShapeOf = (g: ConvGeom) => [g.G * g.Og, g.Cg, g.KH, g.KW];
const yShapeOf = (g: ConvGeom) => [g.N, g.G * g.Og, g.Ho, g.Wo];

function forward(label: string, x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeom, relu: boolean, variant: ConvVariant): Tensor {
  const y = Tensor.empty(yShapeOf(g));
  if (y.size === 0) return y;
  if (!variant.startsWith('mm:')) { convForwardInto(label, x, w, b, y, g, relu, variant); return y; }
  const P = g.H * g.W;
  matmulInto(label, w, x, y, g.N, g.Og, g.Cg, P, 0, g.Cg * P, variant.slice(3) as MatmulVariant);
  // The matmul kernels have no epilogue.
  const out = biasRelu(label, y, b, relu);
  if (out !== y) y.dispose();
  return out;
}

function pickForward(g: ConvGeom, forced: ConvVariant | undefined): ConvVariant {
  return choose('conv2d_fwd', g, forced, () => busy(forwardCandidates(g), g.Ho * g.Wo, g.Og), () => {
    const x = filled(xShapeOf(g)), w = filled(wShapeOf(g));
    return { run: (v) => forward('conv2d (autotune)', x, w, null, g, false, v).dispose(), dispose: () => [x, w].forEach((t) => t.dispose()) };
  });
}

function backwardInputInto(label: string, dy: Tensor, w: Tensor, dx: Tensor, g: ConvGeom, variant: ConvVariant): void {
  if (!variant.startsWith('mm:')) { convBackwardInputInto(label, dy, w, dx, g, variant); return; }
  // dX[n] = Wᵀ · dY[n]; Wᵀ [C, O] is small.
  const w2 = w.view([g.Og, g.Cg]);
  const wt = noGrad(() => transpose(w2));
  matmulInto(label, wt, dy, dx, g.N, g.Cg, g.Og, g.H * g.W, 0, g.Og * g.H * g.W, variant.slice(3) as MatmulVariant);
  w2.dispose();
  wt.dispose();
}

function pickBackwardInput(g: ConvGeom, forced: ConvVariant | undefined): ConvVariant {
  return choose('conv2d_bwd_input', g, forced, () => busy(backwardInputCandidates(g), phasePixels(g), g.Cg), () => {
    const dy = filled(yShapeOf(g)), w = filled(wShapeOf(g)), dx = Tensor.empty(xShapeOf(g));
    return { run: (v) => backwardInputInto('conv2d backward input (autotune)', dy, w, dx, g, v), dispose: () => [dy, w, dx].forEach((t) => t.dispose()) };
  });
}

function backwardWeight(label: string, x: Tensor, dy: Tensor, g: ConvGeom, variant: ConvVariant): Tensor {
  const [parts, splits] = convBackwardWeightParts(label, x, dy, g, variant);
  const total = splits > 1 ? sum(parts, 1) : parts;
  const dw = total.view(wShapeOf(g));
  if (total !== parts) total.dispose();
  parts.dispose();
  return dw;
}

function pickBackwardWeight(g: ConvGeom, forced: ConvVariant | undefined): ConvVariant {
  return choose('conv2d_bwd_weight', g, forced, () => backwardWeightCandidates(g), () => {
    const x = filled(xShapeOf(g)), dy = filled(yShapeOf(g));
    return { run: (v) => backwardWeight('conv2d backward weight (autotune)', x, dy, g, v).dispose(), dispose: () => [x, dy].forEach((t) => t.dispose()) };
  });
}

function checkFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new TensorError(`${op}: ${t.describe()} must be float32`);
}

/**
 * 2-D convolution of x [N, C, H, W] with w [O, C / groups, KH, KW] and optional bias b [O],
 * as torch.nn.functional.conv2d; `activation: 'relu'` fuses a ReLU after the bias.
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const g = geometry('conv2d', x.shape, w.shape, opts, [x.describe(), w.describe()]);
  checkFloat('conv2d', x, w, ...(b ? [b] : []));
  if (b && (b.rank !== 1 || b.shape[0] !== g.G * g.Og)) throw new TensorError(`conv2d: bias ${b.describe()} must be [${g.G * g.Og}] (one per output channel of weight ${w.describe()})`);
  const relu = opts.activation === 'relu';
  const label = `conv2d ${x.describe()} * ${w.describe()}`;
  const y = forward(label, x, w, b, g, relu, pickForward(g, opts.kernels?.forward));
  const inputs = b ? [x, w, b] : [x, w];
  return record(y, relu ? 'conv2d+relu' : 'conv2d', inputs, (gy) => {
    // Through the ReLU: the gradient passes where the output is positive.
    const gz = relu ? mapKernel('conv2d relu backward', 'select(0.0, x, y > 0.0)', [gy, y]) : gy;
    const grads = [
      x.requiresGrad ? conv2dBackwardInput(gz, w, x.shape, opts) : null,
      w.requiresGrad ? conv2dBackwardWeight(x, gz, w.shape, opts) : null,
      b?.requiresGrad ? sum(gz, [0, 2, 3]) : null,
    ];
    return grads.slice(0, inputs.length);
  });
}

/** Gradient of conv2d with respect to its input x of shape `xShape`, for upstream dy (no autograd). */
export function conv2dBackwardInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const g = geometry('conv2d backward input', xShape, w.shape, opts, [`[${xShape.join(', ')}]`, w.describe()]);
  checkFloat('conv2d backward input', dy, w);
  checkGradShape('conv2d backward input', dy, g);
  const dx = Tensor.empty(xShapeOf(g));
  if (dx.size > 0) {
    backwardInputInto(`conv2d backward input ${dy.describe()} * ${w.describe()}`, dy, w, dx, g, pickBackwardInput(g, opts.kernels?.backwardInput));
  }
  return dx;
}

/** Gradient of conv2d with respect to its weight of shape `wShape`, for input x and upstream dy (no autograd). */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const g = geometry('conv2d backward weight', x.shape, wShape, opts, [x.describe(), `[${wShape.join(', ')}]`]);
  checkFloat('conv2d backward weight', x, dy);
  checkGradShape('conv2d backward weight', dy, g);
  if (g.N === 0) {
    const z = Tensor.empty(wShapeOf(g));
    fillTensor(z, 0);
    return z;
  }
  return backwardWeight(`conv2d backward weight ${x.describe()} ${dy.describe()}`, x, dy, g, pickBackwardWeight(g, opts.kernels?.backwardWeight));
}

function checkGradShape(op: string, dy: Tensor, g: ConvGeom): void {
  const want = yShapeOf(g);
  if (dy.rank !== 4 || dy.shape.some((d, i) => d !== want[i])) throw new TensorError(`${op}: upstream gradient ${dy.describe()} must be [${want.join(', ')}]`);
}

/**
 * The variants that can run these shapes on this adapter (benchmarks, tests); the autotuner times
 * those of them that keep most of their lanes busy on the map (see mostlyBusy).
 */
export function conv2dVariants(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): { forward: ConvVariant[]; backwardInput: ConvVariant[]; backwardWeight: ConvVariant[] } {
  const g = geometry('conv2dVariants', xShape, wShape, opts, [`[${xShape.join(', ')}]`, `[${wShape.join(', ')}]`]);
  return {
    forward: forwardCandidates(g),
    backwardInput: backwardInputCandidates(g),
    backwardWeight: backwardWeightCandidates(g),
  };
}

/** The kernel each op would use now for these shapes: the autotuner's choice, or the adapter default. */
export function conv2dKernels(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): { forward: ConvVariant; backwardInput: ConvVariant; backwardWeight: ConvVariant } {
  const g = geometry('conv2dKernels', xShape, wShape, opts, [`[${xShape.join(', ')}]`, `[${wShape.join(', ')}]`]);
  return {
    forward: pickForward(g, opts.kernels?.forward),
    backwardInput: pickBackwardInput(g, opts.kernels?.backwardInput),
    backwardWeight: pickBackwardWeight(g, opts.kernels?.backwardWeight),
  };
}
