// A convolution's geometry: the checks of its operands (errors name the shapes), its sizes per
// group, and the shapes and counts derived from them.
import { TensorError } from '../../errors.ts';
import type { Tensor } from '../../tensor.ts';

/** A size given once for both axes, or as [height, width]. */
export type Pair = number | [number, number];

/** The options that shape a convolution (the rest of Conv2dOptions chooses how it runs). */
export interface ConvShapeOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** A convolution's sizes, per group where it says so. */
export interface ConvGeom {
  N: number;
  G: number;
  /** Input and output channels per group. */
  Cg: number;
  Og: number;
  H: number;
  W: number;
  Ho: number;
  Wo: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

function pair(op: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new TensorError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Checks the operands and works out the output size; errors name the shapes involved (`what`: how to call the input and the weight). */
export function geometry(op: string, xShape: readonly number[], wShape: readonly number[], opts: ConvShapeOptions, what: [string, string]): ConvGeom {
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

export const xShapeOf = (g: ConvGeom) => [g.N, g.G * g.Cg, g.H, g.W];
export const wShapeOf = (g: ConvGeom) => [g.G * g.Og, g.Cg, g.KH, g.KW];
export const yShapeOf = (g: ConvGeom) => [g.N, g.G * g.Og, g.Ho, g.Wo];

/** Multiply-adds of the convolution, the same for all three ops: the engine's run-time estimate and the tuner's size limits. */
export const macs = (g: ConvGeom) => g.N * g.G * g.Og * g.Cg * g.KH * g.KW * g.Ho * g.Wo;

/** Input pixels of the largest stride phase, phase (0, 0): what the input gradient's blocks cover. */
export const phasePixels = (g: ConvGeom) => Math.ceil(g.H / g.sh) * Math.ceil(g.W / g.sw);

/** 1x1, stride 1, no padding: the input (or upstream gradient) of each group is a GEMM operand as it is. */
export function isPointwise(g: ConvGeom): boolean {
  return g.KH === 1 && g.KW === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
}

/** An op's operands: all float32, or all float16 (which runs the kernels' f16 variants). */
export function checkDtypes(op: string, ...ts: Tensor[]): void {
  const first = ts[0]!;
  for (const t of ts) {
    if (t.dtype === 'int32' || t.dtype !== first.dtype) throw new TensorError(`${op}: ${t.describe()} must be float32 (or every operand float16), like ${first.describe()}`);
  }
}

export function checkGradShape(op: string, dy: Tensor, g: ConvGeom): void {
  const want = yShapeOf(g);
  if (dy.rank !== 4 || dy.shape.some((d, i) => d !== want[i])) throw new TensorError(`${op}: upstream gradient ${dy.describe()} must be [${want.join(', ')}]`);
}
