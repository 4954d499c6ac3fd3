// The shared-memory tiled GEMM kernels for GPUs (shaders/gemm_tiled.wgsl) that matmul and the
// three convolution ops run through their own loaders: the tile shapes, split-K, the variants
// worth timing for a problem, and the dispatch. Variant names: `t<BM>x<BN>` for BM x BN output
// tiles, `t<BM>x<BN>k<S>` for the same with the reduction split S ways.
import reduceSrc from '../../../../shaders/gemm_splitk_reduce.wgsl';
import coreSrc from '../../../../shaders/gemm_tiled.wgsl';
import { deviceSync } from '../device.ts';
import { getEngine, grid, Uniforms } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { Tensor } from '../tensor.ts';
import { specialize } from './kernels.ts';

export type TileVariant = `t${number}x${number}` | `t${number}x${number}k${number}`;

export interface Tile {
  BM: number;
  BN: number;
  /** Accumulator rows and columns per invocation (multiples of 4). */
  TM: number;
  TN: number;
  /** Reduction slab staged through workgroup memory per barrier pair. */
  BK: number;
  splits: number;
}

/**
 * Tile shapes [BM, BN, TM, TN, BK]. The large tiles reuse each staged element most (8x8 blocks
 * load 16 values per 64 FMAs) for big problems; the narrow ones fit DenseNet's 32-channel growth
 * convolutions (M = 32); the small one gives problems of a few thousand outputs enough workgroups.
 * Each keeps every invocation loading whole vec4 groups of both slabs.
 */
const SHAPES: readonly [number, number, number, number, number][] = [
  [64, 64, 4, 4, 16], [128, 128, 8, 8, 8], [128, 64, 8, 4, 16], [64, 128, 4, 8, 16], [32, 128, 4, 8, 16], [32, 32, 4, 4, 16],
];

const SPLITS = [2, 4, 8, 16, 32];

/** Workgroups a dispatch should have before splitting the reduction stops paying (a few per multiprocessor of a large GPU). */
const TARGET_WORKGROUPS = 512;

/** The default tiled variant, run before the autotuner has timed the others. */
export const DEFAULT_TILE: TileVariant = 't64x64';

export function parseTile(variant: string): Tile | null {
  const m = /^t(\d+)x(\d+)(?:k(\d+))?$/.exec(variant);
  if (!m) return null;
  const shape = SHAPES.find(([bm, bn]) => bm === Number(m[1]) && bn === Number(m[2]));
  const splits = m[3] === undefined ? 1 : Number(m[3]);
  if (!shape || (splits !== 1 && !SPLITS.includes(splits))) return null;
  const [BM, BN, TM, TN, BK] = shape;
  return { BM, BN, TM, TN, BK, splits };
}

/** Parses a tiled variant or throws an error that lists the valid ones. */
export function tileOf(label: string, variant: string): Tile {
  const t = parseTile(variant);
  if (!t) {
    throw new TensorError(`${label}: unknown tiled kernel '${variant}' (tiles: ${SHAPES.map(([bm, bn]) => `t${bm}x${bn}`).join(', ')}, optionally with a split-K suffix k${SPLITS.join('/k')})`);
  }
  return t;
}

/**
 * The tiled variants worth timing for `batch` GEMMs of M x N outputs with reduction K: every tile
 * shape that is not mostly padding, and for each, when its tiles alone are too few to fill a
 * large GPU and `splitK` allows, one split of the reduction (a power of two, each part at least 4
 * slabs long).
 */
export function tileCandidates(M: number, N: number, K: number, batch: number, splitK = true): TileVariant[] {
  const out: TileVariant[] = [];
  for (const [BM, BN, , , BK] of SHAPES) {
    const name: TileVariant = `t${BM}x${BN}`;
    const padded = (BM > 32 && M <= BM / 2) || (BN > 32 && N <= BN / 2);
    if (padded && name !== DEFAULT_TILE) continue;
    out.push(name);
    const tiles = Math.ceil(M / BM) * Math.ceil(N / BN) * batch;
    const want = SPLITS.find((s) => tiles * s >= TARGET_WORKGROUPS) ?? SPLITS[SPLITS.length - 1]!;
    const splits = Math.min(want, Math.max(1, ...SPLITS.filter((s) => s <= K / (4 * BK))));
    if (splitK && tiles < TARGET_WORKGROUPS / 2 && splits >= 2 && batch * splits <= 65535) out.push(`${name}k${splits}`);
  }
  return out;
}

/** The WGSL of the core with an op's loaders, for one tile. */
function source(loaders: string, t: Tile, loadB4: boolean): string {
  const WX = t.BN / t.TN, WY = t.BM / t.TM;
  const group = loadB4 ? '        v = loadB4(ctx, k0 + k, col0 + n4 * 4u);' : `        for (var c = 0u; c < 4u; c++) {
          let n = col0 + n4 * 4u + c;
          if (n < ctx.N) { v[c] = loadB(ctx, k0 + k, n); }
        }`;
  return specialize(coreSrc, {
    LOADERS: loaders, LOAD_B_GROUP: group, BM: t.BM, BN: t.BN, BK: t.BK, TM4: t.TM / 4, TN4: t.TN / 4, WX, WY, SPLITS: t.splits,
    BM4P: t.BM / 4 + 1, BN4: t.BN / 4, ACC: (t.TM * t.TN) / 4,
  });
}

export interface TiledCall {
  label: string;
  /** Pipeline-cache key of the op's loaders; the tile is appended. */
  key: string;
  loaders: () => string;
  /** The loaders define loadB4 (four adjacent columns at once). */
  loadB4?: boolean;
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
  const max = deviceSync().info.limits.maxComputeWorkgroupsPerDimension;
  const wg: [number, number, number] = [Math.ceil(call.N / t.BN), Math.ceil(call.M / t.BM), call.gemms * t.splits];
  if (wg.some((d) => d > max)) throw new TensorError(`${call.label}: needs a grid of ${wg.join(' x ')} workgroups, more than ${max} per dimension (split the batch)`);
  const engine = getEngine();
  const key = `${call.key}:t${t.BM}x${t.BN}k${t.splits}`;
  const wgsl = () => source(call.loaders(), t, call.loadB4 ?? false);
  if (t.splits === 1) {
    engine.dispatch({ label: call.label, key, source: wgsl, buffers: [...call.inputs, out.buffer], uniforms: call.uniforms, workgroups: wg, cost: call.cost });
    return;
  }
  const parts = Tensor.empty([t.splits, out.size]);
  engine.dispatch({ label: `${call.label} (split ${t.splits})`, key, source: wgsl, buffers: [...call.inputs, parts.buffer], uniforms: call.uniforms, workgroups: wg, cost: call.cost });
  const e = epilogue ?? { bias: null, relu: false, plane: 1, channels: 1 };
  engine.dispatch({
    label: `${call.label} (sum of ${t.splits} parts)`, key: 'gemm:splitk_reduce', source: () => reduceSrc,
    buffers: [parts.buffer, (e.bias ?? parts).buffer, out.buffer],
    uniforms: new Uniforms().u32(out.size, t.splits, e.plane, e.channels, e.bias ? 1 : 0, e.relu ? 1 : 0).done(),
    workgroups: grid(Math.ceil(out.size / 256)), cost: parts.size,
  });
  parts.dispose();
}

/** Every tile shape's variant name, without a split (tests, benchmarks). */
export function tileShapes(): TileVariant[] {
  return SHAPES.map(([BM, BN]): TileVariant => `t${BM}x${BN}`);
}
