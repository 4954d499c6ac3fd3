// Which kernel runs each convolution op, all in one place: the candidates this adapter has for a
// shape (register blocks on CPU adapters, tiles of the GEMM core on GPUs, 1x1 convolutions also
// as matmuls), which of them the autotuner times, the shape classes that share a decision, and
// which forced variants an op can run.
import { sizeClass, tuned, type TuneBench } from '../../autotune.ts';
import { deviceSync } from '../../device.ts';
import { TensorError } from '../../errors.ts';
import type { DType } from '../../tensor.ts';
import { DEFAULT_TILE, tileOptions } from '../gemm/tile.ts';
import { matmulKernels } from '../matmul/candidates.ts';
import { hasHalfVariant } from '../matmul/kernels.ts';
import { BLOCK_WORKGROUP_SIZE } from '../../limits.ts';
import { isPointwise, macs, phasePixels, type ConvGeom } from './geometry.ts';
import { blockOf, convKernelOf, formatConvVariant, parseConvVariant, type BlockKernel, type ConvKernel, type ConvVariant } from './variant.ts';

export type ConvOp = 'forward' | 'backwardInput' | 'backwardWeight';

/** The op names in the tuner's decisions (and its persisted file). */
const TUNER_OP: Record<ConvOp, string> = { forward: 'conv2d_fwd', backwardInput: 'conv2d_bwd_input', backwardWeight: 'conv2d_bwd_weight' };

const block = (sharing: BlockKernel['sharing'], rv: number, pl: number): BlockKernel => ({ kind: 'block', sharing, rv, pl });

/** The subgroup size when it is narrow enough for subgroup-shared blocks (CPU adapters), else null. */
function narrowSubgroup(): number | null {
  const sg = deviceSync().info.subgroupSize;
  // With 32 or 64 lanes the shared blocks would hold hundreds of accumulators.
  return sg !== null && sg <= 16 ? sg : null;
}

/** Channels each lane loads in a subgroup-shared block: one vec4 per lane, 32 channels at most per subgroup. */
const sharedRv = (sg: number) => Math.min(4, 32 / sg);

/**
 * Pixels per invocation of the shared blocks worth timing, the default first. The larger blocks
 * share each input load among more channels and run fastest on large maps, but take longer to
 * compile (cold, on lavapipe: x 4 5 s, x 8 12 s), hence x 4 as the default that runs before tuning.
 */
const SHARED_PIXELS = [4, 6, 8];

/** The register blocks worth timing on this adapter, its default first. */
function blockKernels(): BlockKernel[] {
  const sg = narrowSubgroup();
  if (sg === null) return [block('reg', 4, 4), block('reg', 4, 2)];
  return SHARED_PIXELS.map((pl) => block('sg', sharedRv(sg), pl));
}

/**
 * Pixels per invocation that suit a weight gradient of `cols` = Cg * KH * KW columns, best first.
 * Its workgroups cover 64 * pl columns, and the stem's and early blocks' 3x3 convolutions have
 * few (27 or 288): lanes past the end run every load and FMA of a real one, so the fixed 4, 6
 * and 8 idled up to 90 % of them. The cost of a pl is its workgroups times (3 + pl): each row
 * step pays about three columns' worth for its shared dY loads and shuffles (fitted on lavapipe,
 * cols 288: x 5 73 ms, x 6 79, x 3 95, x 4 127; bench/RESULTS.md, 2026-12-04).
 */
function weightPixels(cols: number): number[] {
  const cost = (pl: number) => Math.ceil(cols / (BLOCK_WORKGROUP_SIZE * pl)) * (3 + pl);
  return [8, 7, 6, 5, 4, 3, 2, 1].sort((a, b) => cost(a) - cost(b));
}

/**
 * The weight gradient's extra register blocks on adapters with narrow subgroups: the two pixel
 * counts that cover its columns best (weightPixels) and, when its output channels fill half a
 * shared block or less (growth convolutions of 16 channels), half-width blocks with the best one.
 */
function weightKernels(g: ConvGeom): BlockKernel[] {
  const sg = narrowSubgroup();
  if (sg === null) return [];
  const rv = sharedRv(sg);
  const best = weightPixels(g.Cg * g.KH * g.KW);
  const narrow = rv > 1 && 2 * g.Og <= sg * rv ? [block('sg', rv / 2, best[0]!)] : [];
  return [...best.slice(0, 2).map((pl) => block('sg', rv, pl)), ...narrow];
}

/**
 * The row-shared blocks of the forward pass (rows of width Wo) or the input gradient (rows of
 * width W): 3x3, stride 1, no dilation, rows a multiple of the pixel count, on adapters with
 * narrow subgroups (the CPU drivers, where each storage load costs dozens of FMAs).
 */
function rowKernels(g: ConvGeom, op: ConvOp): BlockKernel[] {
  const sg = narrowSubgroup();
  if (sg === null || op === 'backwardWeight') return [];
  if (g.KH !== 3 || g.KW !== 3 || g.sh !== 1 || g.sw !== 1 || g.dh !== 1 || g.dw !== 1) return [];
  const width = op === 'forward' ? g.Wo : g.W;
  return [4, 8].filter((pl) => width % pl === 0).map((pl) => block('row', sharedRv(sg), pl));
}

/** The channels an op's blocks cover: output channels, or for the input gradient input channels. */
const opRows = (g: ConvGeom, op: ConvOp) => (op === 'backwardInput' ? g.Cg : g.Og);

/**
 * Whether `rows` channels fill more than a quarter of the blocks of `span` channels that cover
 * them. Padded channel rows cost little on CPU adapters, where loads dominate, so only blocks that
 * would be mostly padding are dropped.
 */
const channelsFill = (rows: number, span: number) => 4 * rows > Math.ceil(rows / span) * span;

/**
 * Blocks of fewer channels for an op with fewer channels than the shared blocks hold, such as
 * the input gradient of a stem convolution over 3 colour channels, and whether they should be the
 * default (the shared blocks would be over three quarters padding).
 */
function narrowKernels(g: ConvGeom, op: ConvOp): { kernels: BlockKernel[]; first: boolean } {
  const sg = narrowSubgroup();
  if (sg === null) return { kernels: [], first: false };
  const rows = opRows(g, op);
  const shared = sg * sharedRv(sg);
  if (rows >= shared) return { kernels: [], first: false };
  return { kernels: [block('sg', 1, 8), block('reg', 4, 8)], first: !channelsFill(rows, shared) };
}

/**
 * The tiles worth timing for an op: tile shapes and splits sized to its GEMMs (the weight
 * gradient splits its reduction itself, so it gets tile shapes only).
 */
function tileKernels(g: ConvGeom, op: ConvOp): ConvKernel[] {
  const KK = g.KH * g.KW;
  const phases = g.sh * g.sw;
  const tiles = op === 'forward' ? tileOptions(g.Og, g.Ho * g.Wo, g.Cg * KK, g.N * g.G)
    : op === 'backwardInput' ? tileOptions(g.Cg, phasePixels(g), g.Og * Math.ceil(KK / phases), g.N * g.G * phases)
      : tileOptions(g.Og, g.Cg * KK, g.N * g.Ho * g.Wo, g.G, false);
  return tiles.map((tile) => ({ kind: 'tile', tile }));
}

/**
 * On CPU adapters the default tile wins only on test-sized convolutions and runs 10-100x slower
 * than the register blocks on large ones, so timing it there would cost minutes.
 */
const CPU_TILE_MAX_MACS = 1 << 24;

/** The pixels an op's register blocks run through: the batch's output maps, or for the input gradient its largest stride phases. */
const opPixels = (g: ConvGeom, op: ConvOp) => g.N * (op === 'forward' ? g.Ho * g.Wo : phasePixels(g));

/**
 * The shared blocks, and on a small map blocks of 2 pixels a lane for the tuner to time: where a
 * 4-pixel block's workgroups would leave over a quarter of their lanes past the batch's pixels
 * (ResNet-50's 4x4 maps and 8x8 stride phases at 128 px), the 2-pixel block keeps them busy but
 * shares each weight load among half the pixels. Beside a training job on lavapipe (2026-12-05),
 * ResNet-50's layer-4 convolutions at batch 8 ran 1.2-2x faster with it one by one, yet the whole
 * step with it as the default ran slower (10.1 and 9.7 s against 6.8 and 8.4, too noisy to settle),
 * so the tuner decides and the 4-pixel block stays the default. The weight gradient sizes its
 * blocks to its columns instead (weightKernels).
 */
function sharedBlocks(g: ConvGeom, op: ConvOp): BlockKernel[] {
  const blocks = blockKernels();
  const sg = narrowSubgroup();
  if (sg === null || op === 'backwardWeight' || lanesBusy(blocks[0]!, opPixels(g, op))) return blocks;
  return [...blocks, block('sg', sharedRv(sg), 2)];
}

/**
 * The conv kernels of an op on this adapter, the fixed default first: on GPUs the tiles, on CPU
 * adapters the register blocks (and the default tile last, for small convolutions).
 */
function convKernels(g: ConvGeom, op: ConvOp): ConvKernel[] {
  const blocks = sharedBlocks(g, op);
  if (deviceSync().info.kind === 'gpu') return [...tileKernels(g, op), ...blocks];
  const narrow = narrowKernels(g, op);
  const tile: ConvKernel[] = macs(g) <= CPU_TILE_MAX_MACS ? [{ kind: 'tile', tile: DEFAULT_TILE }] : [];
  return narrow.first ? [...narrow.kernels, ...blocks, ...tile] : [...blocks, ...narrow.kernels, ...tile];
}

/** 1x1, stride 1, no padding, one group: Y[n] = W · X[n] (and dX[n] = Wᵀ · dY[n]) is a batched matmul. */
export function runsAsMatmul(g: ConvGeom): boolean {
  return isPointwise(g) && g.G === 1;
}

/**
 * Every kernel that can run an op on this shape, the adapter's default first: the conv kernels,
 * for a 1x1 forward pass or input gradient the matmul's register kernels (M x K by K x N per
 * image; its tiles would repeat the conv tiles, which fuse the epilogue), and the row-shared blocks.
 */
export function convCandidates(g: ConvGeom, op: ConvOp): ConvKernel[] {
  const conv = convKernels(g, op);
  if (op === 'backwardWeight') {
    const extra = weightKernels(g).filter((k) => !conv.some((c) => formatConvVariant(c) === formatConvVariant(k)));
    return [...conv, ...extra];
  }
  const rows = rowKernels(g, op);
  if (!runsAsMatmul(g)) return [...conv, ...rows];
  const [M, K, N] = op === 'forward' ? [g.Og, g.Cg, g.Ho * g.Wo] : [g.Cg, g.Og, g.H * g.W];
  const mm = matmulKernels(M, K, N, g.N).filter((k) => k.kind !== 'tile').map((matmul): ConvKernel => ({ kind: 'matmul', matmul }));
  // The subgroup matmul and the conv kernel each win on some 1x1 shapes (the tuner decides); the
  // conv kernel stays the default since it fuses bias and ReLU.
  return [conv[0]!, ...mm, ...conv.slice(1), ...rows];
}

/**
 * Whether a register block keeps its lanes on real work: at least three quarters of them on real
 * pixels of `pixels`, the maps of the whole batch (workgroups of 64 x pl pixels or row groups run
 * through the batch's images one after another, dispatch.ts), and more than a quarter
 * of its sg x rv channel rows on the op's `rows` channels (see channelsFill). Lanes past the map's
 * end are clamped and run every multiply-add and load of a real lane, so a block that idles more
 * of them loses by construction, and timing it only gives a noisy host the chance to pick it (and
 * costs tuning time). Other kernels (tiles, matmul) count as busy.
 */
function mostlyBusy(k: ConvKernel, pixels: number, rows: number): boolean {
  if (k.kind !== 'block') return true;
  const b = blockOf(k);
  return lanesBusy(k, pixels) && channelsFill(rows, b.sg * b.rv);
}

/** Whether at least three quarters of a block's pixel slots (workgroups of 64 x pl) fall on the `pixels` it runs through. */
function lanesBusy(k: BlockKernel, pixels: number): boolean {
  const span = BLOCK_WORKGROUP_SIZE * k.pl;
  const covered = Math.ceil(pixels / span) * span;
  return covered - pixels <= covered / 4;
}

/** What the tuner times for an op: the default, then the other candidates that keep most of their lanes busy. */
function timedCandidates(g: ConvGeom, op: ConvOp): ConvKernel[] {
  const list = convCandidates(g, op);
  if (op === 'backwardWeight') return list;
  return [list[0]!, ...list.slice(1).filter((k) => mostlyBusy(k, opPixels(g, op), opRows(g, op)))];
}

/** The shapes that share a tuning decision: the same taps, strides and grouping, sizes within a factor of about 2. */
function shapeClass(g: ConvGeom): string {
  const grouping = g.G === 1 ? 'dense' : g.Cg === 1 ? 'depthwise' : 'grouped';
  return `k${g.KH}x${g.KW} s${g.sh}x${g.sw} d${g.dh}x${g.dw} ${grouping} c${sizeClass(g.Cg)} o${sizeClass(g.Og)} hw${sizeClass(g.Ho * g.Wo)} n${sizeClass(g.N)}`;
}

/**
 * Whether a kernel has a float16 variant (f16 storage, f32 sums): every register block and tile
 * does, except split-K tiles, whose float32 parts a float32 pass sums; the matmul route as
 * hasHalfVariant says (not the subgroup matmul).
 */
function hasHalf(k: ConvKernel): boolean {
  if (k.kind === 'tile') return k.tile.splits === 1;
  return k.kind === 'block' || hasHalfVariant(k.matmul);
}

/** The forced variant `name` parsed, or an error saying why `op` cannot run it on this shape in `dtype`. */
function forcedKernel(label: string, op: ConvOp, g: ConvGeom, name: ConvVariant, dtype: DType): ConvKernel {
  const k = forcedFloat32Kernel(label, op, g, name);
  if (dtype === 'float16' && !hasHalf(k)) {
    throw new TensorError(`${label}: '${name}' has no float16 variant (float16 convolutions run the blocks, the tiles without a k<S> split and the matmul kernels but 'sg')`);
  }
  return k;
}

function forcedFloat32Kernel(label: string, op: ConvOp, g: ConvGeom, name: ConvVariant): ConvKernel {
  if (op === 'backwardWeight') {
    const k = parseConvVariant(name);
    if (k && ((k.kind === 'tile' && k.tile.splits === 1) || (k.kind === 'block' && k.sharing !== 'row'))) return k;
    throw new TensorError(`${label}: unknown conv2d weight-gradient variant '${name}' (it takes sg<r>x<p>, reg<r>x<p> or t<BM>x<BN> without a k<S> split)`);
  }
  const k = convKernelOf(label, name);
  if (k.kind === 'matmul' && !runsAsMatmul(g)) throw new TensorError(`${label}: kernel '${name}' only runs 1x1 stride-1 unpadded ungrouped convolutions`);
  if (k.kind === 'block' && k.sharing === 'row' && !rowKernels(g, op).some((r) => r.pl === k.pl && r.rv === k.rv)) {
    throw new TensorError(`${label}: kernel '${name}' runs only 3x3 stride-1 undilated convolutions whose ${op === 'forward' ? 'output' : 'input'} width is a multiple of ${k.pl}`);
  }
  return k;
}

/**
 * The kernel for `op` on this shape: the forced variant (checked), or the tuner's pick among the
 * timed candidates, built only then (ops call this on every run); `make` builds the tuner's
 * scratch inputs for the shape.
 */
export function chooseKernel(label: string, op: ConvOp, g: ConvGeom, forced: ConvVariant | undefined, make: () => TuneBench<ConvKernel>, dtype: DType = 'float32'): ConvKernel {
  if (forced !== undefined) return forcedKernel(label, op, g, forced, dtype);
  // float16 is a dimension of the same candidates, with decisions of its own.
  if (dtype === 'float16') return tuned(TUNER_OP[op], `${shapeClass(g)} f16`, timedCandidates(g, op).filter(hasHalf), formatConvVariant, make);
  return tuned(TUNER_OP[op], shapeClass(g), timedCandidates(g, op), formatConvVariant, make);
}
