// Runs a chosen kernel of each convolution op: the register blocks (after packing the weights
// for them), the tiles of the GEMM core with the op's loaders, or for 1x1 convolutions the matmul.
import { deviceSync } from '../../device.ts';
import { getEngine } from '../../engine.ts';
import { TensorError } from '../../errors.ts';
import { BLOCK_WORKGROUP_SIZE, checkGrid, MAX_WORKGROUPS_PER_DIMENSION } from '../../limits.ts';
import { noGrad } from '../../scope.ts';
import { Tensor } from '../../tensor.ts';
import { mapKernel } from '../elementwise.ts';
import { tiledDispatch } from '../gemm/tiled.ts';
import { runMatmul } from '../matmul/kernels.ts';
import { transpose } from '../movement.ts';
import { storageWgsl } from '../storage.ts';
import { sum } from '../reduce.ts';
import { unroll } from './codegen.ts';
import { isPointwise, macs, phasePixels, wShapeOf, type ConvGeom } from './geometry.ts';
import { forwardParams, forwardTiledParams, inputGradParams, inputGradTiledParams, packParams, weightGradParams, withGeometry } from './params.ts';
import { bwdInputSource, bwdInputTiledLoaders, bwdWeightSource, bwdWeightTiledLoaders, fwdSource, fwdTiledLoaders, packSource } from './sources.ts';
import { blockOf, type Block, type ConvKernel } from './variant.ts';

/**
 * Weights [G * Og, Cg, KH, KW] packed for a register block: forward rows k = (c, kh, kw) over
 * output channels, backward-input rows k = (o, kh, kw) over input channels (conv2d_pack.wgsl),
 * as float32 whatever w's dtype: the blocks compute in f32, and the weights are small.
 */
function packWeights(label: string, w: Tensor, g: ConvGeom, b: Block, forInput: boolean): Tensor {
  const KK = g.KH * g.KW;
  const R = b.sg * b.rv;
  const CH = forInput ? g.Cg : g.Og;
  const KC = forInput ? g.Og : g.Cg;
  const rowLen = Math.ceil(CH / R) * R;
  const out = Tensor.empty([g.G * KC * KK * rowLen]);
  const types = storageWgsl(w.dtype);
  const uniforms = packParams.pack({
    rowLen, KC, KK, CH, chStride: forInput ? KK : g.Cg * KK, kcStride: forInput ? g.Cg * KK : KK, gStride: g.Og * g.Cg * KK,
  });
  getEngine().dispatch({
    label: `${label} (pack weights)`, key: `conv2d:pack:${b.sg}:${b.rv}:${types.T}`, source: () => packSource(b, types),
    buffers: [w.buffer, out.buffer], uniforms, workgroups: checkGrid(label, [Math.ceil(rowLen / BLOCK_WORKGROUP_SIZE), KC, g.G]), cost: out.size,
  });
  return out;
}

/**
 * Bias and ReLU as one element-wise pass over y [N, G * Og, H, W], for the kernels without an
 * epilogue of their own (the matmul); y itself when there is neither.
 */
function biasRelu(label: string, y: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  if (!bias && !relu) return y;
  const b4 = bias?.view([1, bias.size, 1, 1]);
  const out = mapKernel(`${label} (bias/relu)`, b4 ? (relu ? 'max(x + y, 0.0)' : 'x + y') : 'max(x, 0.0)', b4 ? [y, b4] : [y]);
  b4?.dispose();
  return out;
}

/**
 * The images of the batch whose pixels one slice of a register block's workgroups runs through,
 * one after another, for maps of `pixels` and workgroups of `span` pixels: the whole batch, unless
 * the slice's workgroups would pass the grid's limit. A map smaller than a workgroup then still
 * fills its lanes, which with one image a workgroup ran clamped copies of one pixel.
 */
function imagesPerSlice(N: number, pixels: number, span: number): number {
  return Math.max(1, Math.min(N, Math.floor((MAX_WORKGROUPS_PER_DIMENSION * span) / Math.max(1, pixels))));
}

/** y = conv(x, w) (+ bias, ReLU) for y [N, G * Og, Ho, Wo]: y itself, or a new tensor that replaces it (the matmul's epilogue). */
export function forwardInto(label: string, x: Tensor, w: Tensor, bias: Tensor | null, y: Tensor, g: ConvGeom, relu: boolean, k: ConvKernel): Tensor {
  const P = g.Ho * g.Wo;
  const un = unroll(g.KH, g.KW, ['p.KH', 'p.KW']);
  switch (k.kind) {
    case 'matmul': {
      runMatmul(label, w, x, y, g.N, g.Og, g.Cg, g.H * g.W, 0, g.Cg * g.H * g.W, k.matmul);
      const out = biasRelu(label, y, bias, relu);
      if (out !== y) y.dispose();
      return out;
    }
    case 'tile': {
      const pointwise = isPointwise(g);
      const types = storageWgsl(y.dtype);
      tiledDispatch({
        label, key: `conv2d:fwd:${un.key}:${pointwise ? 'pw' : 'gather'}:${types.T}`, loaders: () => fwdTiledLoaders(un, pointwise, types), loadB4: true, outType: types.T,
        inputs: [x.buffer, w.buffer, (bias ?? w).buffer], uniforms: forwardTiledParams.pack(withGeometry(g, { hasBias: bias !== null, relu, outs: y.size })),
        M: g.Og, N: P, gemms: g.N * g.G, cost: macs(g),
      }, k.tile, y, { bias, relu, plane: P, channels: g.G * g.Og });
      return y;
    }
    case 'block': {
      const b = blockOf(k);
      const packed = packWeights(label, w, g, b, false);
      const OB = Math.ceil(g.Og / (b.sg * b.rv));
      const types = storageWgsl(y.dtype);
      const span = BLOCK_WORKGROUP_SIZE * b.pl;
      const F = imagesPerSlice(g.N, P, span);
      getEngine().dispatch({
        label, key: `conv2d:fwd:${b.rows ? 'row' : b.sg}:${b.rv}:${b.pl}:${un.key}:${un.rowTaps ?? 0}:${types.T}`, source: () => fwdSource(b, un, types),
        buffers: [x.buffer, packed.buffer, (bias ?? packed).buffer, y.buffer], cost: macs(g),
        uniforms: forwardParams.pack(withGeometry(g, { OB, hasBias: bias !== null, relu, N: g.N, F })),
        workgroups: checkGrid(label, [Math.ceil((F * P) / span), OB, Math.ceil(g.N / F) * g.G]),
      });
      packed.dispose();
      return y;
    }
  }
}

function gcd(a: number, b: number): number { return b === 0 ? a : gcd(b, a % b); }

/** dx [N, G * Cg, H, W] = gradient of the convolution's input for upstream dy (dy, w and dx of one dtype). */
export function backwardInputInto(label: string, dy: Tensor, w: Tensor, dx: Tensor, g: ConvGeom, k: ConvKernel): void {
  const types = storageWgsl(dx.dtype);
  const khStep = g.sh / gcd(g.sh, g.dh);
  const kwStep = g.sw / gcd(g.sw, g.dw);
  const phases = g.sh * g.sw;
  const maxCount = phasePixels(g);
  switch (k.kind) {
    case 'matmul': {
      // dX[n] = Wᵀ · dY[n]; Wᵀ [C, O] is small.
      const w2 = w.view([g.Og, g.Cg]);
      const wt = noGrad(() => transpose(w2));
      runMatmul(label, wt, dy, dx, g.N, g.Cg, g.Og, g.H * g.W, 0, g.Og * g.H * g.W, k.matmul);
      w2.dispose();
      wt.dispose();
      return;
    }
    case 'tile': {
      // Stride 1: one phase with every tap, so the tap counts are the kernel's (constants when unrolled).
      const fixed = g.sh === 1 && g.sw === 1 && unroll(g.KH, g.KW, ['', '']).counts !== null;
      const pointwise = isPointwise(g);
      tiledDispatch({
        label, key: `conv2d:bwd_input:${pointwise ? 'pw' : fixed ? `s1:${g.KH}x${g.KW}` : 'any'}:${types.T}`,
        loaders: () => bwdInputTiledLoaders(g, fixed, pointwise, types), loadB4: true, outType: types.T,
        inputs: [dy.buffer, w.buffer], uniforms: inputGradTiledParams.pack(withGeometry(g, { khStep, kwStep, outs: dx.size })),
        M: g.Cg, N: maxCount, gemms: g.N * g.G * phases, cost: macs(g),
      }, k.tile, dx, null);
      return;
    }
    case 'block': {
      const b = blockOf(k);
      const packed = packWeights(label, w, g, b, true);
      const CB = Math.ceil(g.Cg / (b.sg * b.rv));
      // The most taps one stride phase can have along each axis.
      const un = unroll(Math.ceil(g.KH / khStep), Math.ceil(g.KW / kwStep), ['p.KH', 'p.KW']);
      const span = BLOCK_WORKGROUP_SIZE * b.pl;
      const F = imagesPerSlice(g.N, maxCount, span);
      getEngine().dispatch({
        label, key: `conv2d:bwd_input:${b.rows ? 'row' : b.sg}:${b.rv}:${b.pl}:${un.key}:${un.rowTaps ?? 0}:${phases > 1 ? 'strided' : 's1'}:${types.T}`,
        source: () => bwdInputSource(b, un, phases > 1, types), buffers: [dy.buffer, packed.buffer, dx.buffer], cost: macs(g),
        uniforms: inputGradParams.pack(withGeometry(g, { CB, khStep, kwStep, N: g.N, F })),
        workgroups: checkGrid(label, [Math.ceil((F * maxCount) / span), CB, Math.ceil(g.N / F) * g.G * phases]),
      });
      packed.dispose();
    }
  }
}

/**
 * How many parts the weight-gradient reduction over N * Ho output rows is split into: enough
 * workgroups to fill the adapter (many more on GPUs), but rows of at least a few hundred
 * pixels per part so the partial sums stay cheap. Depends on the shape and adapter kind only.
 */
function weightSplits(g: ConvGeom, tiles: number, gpu: boolean): number {
  const rows = g.N * g.Ho;
  const want = Math.ceil((gpu ? 1024 : 64) / Math.max(1, tiles * g.G));
  const minRows = Math.max(1, Math.ceil(256 / g.Wo));
  return Math.max(1, Math.min(want, Math.floor(rows / minRows), MAX_WORKGROUPS_PER_DIMENSION));
}

/**
 * dW [G * Og, Cg, KH, KW] for input x and upstream dy: partial sums over runs of output rows
 * (each kernel writes parts [G, splits, Og, Cg * KH * KW]), then their sum, float32 whatever the
 * operands' dtype (float16 ones are read as f32; the caller rounds the total once). The weight
 * gradient runs tiles without a split and blocks without rows (candidates.ts checks).
 */
export function backwardWeight(label: string, x: Tensor, dy: Tensor, g: ConvGeom, k: ConvKernel): Tensor {
  if (k.kind === 'matmul') throw new TensorError(`${label}: the weight gradient has no matmul kernel`);
  const cols = g.Cg * g.KH * g.KW;
  const gpu = deviceSync().info.kind === 'gpu';
  const b = k.kind === 'block' ? blockOf(k) : null;
  // Output columns and rows per workgroup.
  const [tw, th] = b ? [BLOCK_WORKGROUP_SIZE * b.pl, b.sg * b.rv] : k.kind === 'tile' ? [k.tile.BN, k.tile.BM] : [1, 1];
  const splits = weightSplits(g, Math.ceil(cols / tw) * Math.ceil(g.Og / th), gpu);
  const rowsPer = Math.ceil((g.N * g.Ho) / splits);
  const parts = Tensor.empty([g.G, splits, g.Og, cols]);
  const uniforms = weightGradParams.pack(withGeometry(g, { N: g.N, splits, rowsPer }));
  const types = storageWgsl(x.dtype);
  if (k.kind === 'tile') {
    tiledDispatch({
      label, key: `conv2d:bwd_weight:${types.T}`, loaders: () => bwdWeightTiledLoaders(types),
      inputs: [x.buffer, dy.buffer], uniforms, M: g.Og, N: cols, gemms: g.G * splits, cost: macs(g),
    }, k.tile, parts, null);
  } else if (b) {
    getEngine().dispatch({
      label, key: `conv2d:bwd_weight:${b.sg}:${b.rv}:${b.pl}:${types.T}`, source: () => bwdWeightSource(b, types),
      buffers: [x.buffer, dy.buffer, parts.buffer], uniforms, cost: macs(g),
      workgroups: checkGrid(label, [Math.ceil(cols / tw), Math.ceil(g.Og / th), g.G * splits]),
    });
  }
  const total = splits > 1 ? sum(parts, 1) : parts;
  const dw = total.view(wShapeOf(g));
  if (total !== parts) total.dispose();
  parts.dispose();
  return dw;
}
