// The shared-memory tiled GEMM core for GPUs (shaders/gemm_tiled.wgsl), which matmul and the
// three convolution ops run with loaders of their own: its code for a tile, its dispatch, and the
// second dispatch that sums a split reduction (shaders/gemm_splitk_reduce.wgsl).
import reduceSrc from '../../../shaders/gemm_splitk_reduce.wgsl';
import coreSrc from '../../../shaders/gemm_tiled.wgsl';
import { getEngine } from '../../engine.ts';
import { TensorError } from '../../errors.ts';
import { checkGrid, elementGrid, WORKGROUP_SIZE } from '../../limits.ts';
import { Tensor } from '../../tensor.ts';
import { uniformBlock } from '../../uniforms.ts';
import { specialize } from '../kernels.ts';
import { type Tile } from './tile.ts';

/** The WGSL of the core with an op's loaders, for one tile. */
function source(loaders: string, t: Tile, loadB4: boolean, outType: 'f32' | 'f16'): string {
  const WX = t.BN / t.TN, WY = t.BM / t.TM;
  const group = loadB4 ? '        v = loadB4(ctx, k0 + k, col0 + n4 * 4u);' : `        for (var c = 0u; c < 4u; c++) {
          let n = col0 + n4 * 4u + c;
          if (n < ctx.N) { v[c] = loadB(ctx, k0 + k, n); }
        }`;
  return specialize(coreSrc, {
    LOADERS: loaders, LOAD_B_GROUP: group, OUT_T: outType, BM: t.BM, BN: t.BN, BK: t.BK, TM4: t.TM / 4, TN4: t.TN / 4, WX, WY, SPLITS: t.splits,
    BM4P: t.BM / 4 + 1, BN4: t.BN / 4, ACC: (t.TM * t.TN) / 4,
  });
}

/**
 * The split-K reduction's parameters: element i of the `total` outputs sums `splits` parts, adds
 * the bias of its channel (i / plane) % channels when hasBias, then applies ReLU when relu.
 */
const reduceParams = uniformBlock({ total: 'u32', splits: 'u32', plane: 'u32', channels: 'u32', hasBias: 'u32', relu: 'u32' });

const reduceSource = () => specialize(reduceSrc, { PARAMS: reduceParams.wgsl, WORKGROUP_SIZE });

export interface TiledCall {
  label: string;
  /** Pipeline-cache key of the op's loaders; the tile is appended. */
  key: string;
  loaders: () => string;
  /** The loaders define loadB4 (four adjacent columns at once). */
  loadB4?: boolean;
  /** The element type of the output binding (default f32); f16 outputs run unsplit. */
  outType?: 'f32' | 'f16';
  /** Input storage buffers in binding order; the output binding follows them. */
  inputs: GPUBuffer[];
  uniforms: ArrayBuffer;
  /** GEMM sizes (rows and columns: the largest over the GEMMs) and how many GEMMs. */
  M: number;
  N: number;
  gemms: number;
  cost: number;
}

/**
 * The epilogue a split-K dispatch's reduction applies (the core's own epilogue only runs
 * unsplit): bias per channel of an NCHW output, where element i's channel is
 * (i / plane) % channels, then an optional ReLU.
 */
export interface SplitEpilogue {
  bias: Tensor | null;
  relu: boolean;
  plane: number;
  channels: number;
}

/**
 * Runs the tiled GEMM into `out` (whose elements the loaders' outIndex addresses). With a split
 * reduction the parts go to a scratch tensor [S, out.size] and one more dispatch sums them into
 * `out`, applying `epilogue` (bias, ReLU) on the way.
 */
export function tiledDispatch(call: TiledCall, t: Tile, out: Tensor, epilogue: SplitEpilogue | null): void {
  const wg = checkGrid(call.label, [Math.ceil(call.N / t.BN), Math.ceil(call.M / t.BM), call.gemms * t.splits]);
  const engine = getEngine();
  const key = `${call.key}:t${t.BM}x${t.BN}k${t.splits}`;
  const outType = call.outType ?? 'f32';
  const wgsl = () => source(call.loaders(), t, call.loadB4 ?? false, outType);
  if (outType === 'f16' && t.splits !== 1) throw new TensorError(`${call.label}: split-K tiles sum float32 parts and cannot write f16 outputs (tile t${t.BM}x${t.BN}k${t.splits})`);
  if (t.splits === 1) {
    engine.dispatch({ label: call.label, key, source: wgsl, buffers: [...call.inputs, out.buffer], uniforms: call.uniforms, workgroups: wg, cost: call.cost });
    return;
  }
  const parts = Tensor.empty([t.splits, out.size]);
  engine.dispatch({ label: `${call.label} (split ${t.splits})`, key, source: wgsl, buffers: [...call.inputs, parts.buffer], uniforms: call.uniforms, workgroups: wg, cost: call.cost });
  const e = epilogue ?? { bias: null, relu: false, plane: 1, channels: 1 };
  engine.dispatch({
    label: `${call.label} (sum of ${t.splits} parts)`, key: 'gemm:splitk_reduce', source: reduceSource,
    buffers: [parts.buffer, (e.bias ?? parts).buffer, out.buffer],
    uniforms: reduceParams.pack({ total: out.size, splits: t.splits, plane: e.plane, channels: e.channels, hasBias: e.bias !== null, relu: e.relu }),
    workgroups: elementGrid(out.size), cost: parts.size,
  });
  parts.dispose();
}
