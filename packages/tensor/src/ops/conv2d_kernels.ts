// The kernel variants behind conv2d (ops/conv.ts): dispatch of the register-blocked kernels
// (conv2d_fwd / conv2d_bwd_input / conv2d_bwd_weight .wgsl, with or without subgroup sharing)
// and of the shared-memory tiled ones (gemm_tiled.ts, with per-op loaders). The skeletons live
// in shaders/; this file only writes out their unrolled parts (one accumulator per output).
import bwdInputSrc from '../../../../shaders/conv2d_bwd_input.wgsl';
import bwdInputTiledSrc from '../../../../shaders/conv2d_bwd_input_tiled.wgsl';
import bwdWeightSrc from '../../../../shaders/conv2d_bwd_weight.wgsl';
import bwdWeightTiledSrc from '../../../../shaders/conv2d_bwd_weight_tiled.wgsl';
import bwdWeightParamsSrc from '../../../../shaders/conv2d_bwd_weight_params.wgsl';
import fwdSrc from '../../../../shaders/conv2d_fwd.wgsl';
import fwdTiledSrc from '../../../../shaders/conv2d_fwd_tiled.wgsl';
import geometrySrc from '../../../../shaders/conv2d_geometry.wgsl';
import packSrc from '../../../../shaders/conv2d_pack.wgsl';
import { deviceSync } from '../device.ts';
import { getEngine, Uniforms } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { Tensor } from '../tensor.ts';
import { mapKernel } from './elementwise.ts';
import { DEFAULT_TILE, parseTile, tileCandidates, tiledDispatch } from './gemm_tiled.ts';
import { specialize, sumTree } from './kernels.ts';

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

/** Multiply-adds of the convolution, the same for all three ops: the engine's run-time estimate and the autotuner's size class. */
const macs = (g: ConvGeom) => g.N * g.G * g.Og * g.Cg * g.KH * g.KW * g.Ho * g.Wo;

/** Input pixels of the largest stride phase, phase (0, 0): what the input gradient's blocks cover. */
export const phasePixels = (g: ConvGeom) => Math.ceil(g.H / g.sh) * Math.ceil(g.W / g.sw);

/**
 * A register-blocked kernel: each invocation holds R = sg * rv output channels (or rows) for
 * pl pixels (or columns). With sg > 1 the lanes of a subgroup load rv channels each and share
 * them by shuffles; sg = 1 is the plain register block for adapters without fixed subgroups.
 */
export interface Block {
  sg: number;
  rv: number;
  pl: number;
  /**
   * 3x3 stride-1 forward and input gradient only (`row<rv>x<pl>`): the pl pixels are adjacent in
   * one row, so the pl + 2 values a tap row needs are loaded once for its 3 taps (not 3·pl loads).
   */
  rows: boolean;
}

/**
 * Variant names: `sg<rv>x<pl>` (subgroup-shared register block), `reg<rv>x<pl>` (register block
 * without subgroups), `row<rv>x<pl>` (subgroup-shared, adjacent pixels sharing input loads; see
 * rowVariants) and `t<BM>x<BN>[k<S>]` (shared-memory tiles for GPUs, see gemm_tiled.ts).
 */
export type ConvVariant = string;

const INVOCATIONS = 64;

/** Channels each lane loads in a subgroup-shared block: one vec4 per lane, 32 channels at most per subgroup. */
const sharedRv = (sg: number) => Math.min(4, 32 / sg);

export function parseBlock(variant: ConvVariant): Block | null {
  const m = /^(sg|reg|row)([124])x([1-8])$/.exec(variant);
  if (!m) return null;
  const sg = m[1] === 'reg' ? 1 : deviceSync().info.subgroupSize;
  if (sg === null) throw new TensorError(`conv2d: variant '${variant}' needs an adapter with a fixed subgroup size`);
  return { sg, rv: Number(m[2]), pl: Number(m[3]), rows: m[1] === 'row' };
}

/**
 * The row-shared variants of the forward pass (rows of width Wo) or the input gradient (rows of
 * width W): 3x3, stride 1, no dilation, rows a multiple of the pixel count, on adapters with
 * narrow subgroups (the CPU drivers, where each storage load costs dozens of FMAs).
 */
export function rowVariants(g: ConvGeom, op: 'forward' | 'backwardInput'): ConvVariant[] {
  const sg = deviceSync().info.subgroupSize;
  if (sg === null || sg > 16) return [];
  if (g.KH !== 3 || g.KW !== 3 || g.sh !== 1 || g.sw !== 1 || g.dh !== 1 || g.dw !== 1) return [];
  const rv = sharedRv(sg);
  const width = op === 'forward' ? g.Wo : g.W;
  return [4, 8].filter((pl) => width % pl === 0).map((pl) => `row${rv}x${pl}`);
}

/** 1x1, stride 1, no padding: the input (or upstream gradient) of each group is a GEMM operand as it is. */
export function isPointwise(g: ConvGeom): boolean {
  return g.KH === 1 && g.KW === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
}

/**
 * Bias and ReLU as one element-wise pass over y [N, G * Og, H, W], for the kernels without an
 * epilogue of their own (the matmul path); y itself when there is neither.
 */
export function biasRelu(label: string, y: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  if (!bias && !relu) return y;
  const b4 = bias?.view([1, bias.size, 1, 1]);
  const out = mapKernel(`${label} (bias/relu)`, b4 ? (relu ? 'max(x + y, 0.0)' : 'x + y') : 'max(x, 0.0)', b4 ? [y, b4] : [y]);
  b4?.dispose();
  return out;
}

const rowsOnly = (label: string, variant: ConvVariant, b: Block, width: string) =>
  new TensorError(`${label}: kernel '${variant}' runs only 3x3 stride-1 undilated convolutions whose ${width} is a multiple of ${b.pl}`);

/**
 * Pixels per invocation of the register blocks worth timing, the default first, each with as many
 * channels as a subgroup shares with one vec4 weight load per lane (32 at most). Measured on
 * lavapipe's 8 lanes, forward 3x3 128 -> 32 at 64x64: 32 channels x 6 and x 8 pixels at 24-28
 * GFLOP/s, x 4 at 17-27, x 2 at 12-18, 16 x 4-8 at 8-15. Each weight load is shared by the lanes
 * of a subgroup and each input load by 32 channels; the large blocks spill accumulators to the
 * stack, which costs far less than the loads they save, but take longer to compile (cold, on
 * lavapipe: x 4 5 s, x 8 12 s), hence x 4 as the default that runs before tuning.
 */
const SHARED_PIXELS = [4, 6, 8];

/** The register-blocked variants worth timing on this adapter, its default first. */
export function blockVariants(): ConvVariant[] {
  const sg = deviceSync().info.subgroupSize;
  // Subgroup sharing is for CPU adapters' narrow subgroups; with 32 or 64 lanes the blocks would
  // hold hundreds of accumulators.
  if (sg === null || sg > 16) return ['reg4x4', 'reg4x2'];
  const rv = sharedRv(sg);
  return SHARED_PIXELS.map((pl) => `sg${rv}x${pl}`);
}

export type ConvOp = 'forward' | 'backwardInput' | 'backwardWeight';

/**
 * The tiled variants worth timing for an op: tile shapes and splits sized to its GEMMs (the
 * weight gradient splits its reduction itself, so it gets tile shapes only).
 */
function tiledCandidates(g: ConvGeom, op: ConvOp): ConvVariant[] {
  const KK = g.KH * g.KW;
  if (op === 'forward') return tileCandidates(g.Og, g.Ho * g.Wo, g.Cg * KK, g.N * g.G);
  if (op === 'backwardInput') {
    const phases = g.sh * g.sw;
    return tileCandidates(g.Cg, phasePixels(g), g.Og * Math.ceil(KK / phases), g.N * g.G * phases);
  }
  return tileCandidates(g.Og, g.Cg * KK, g.N * g.Ho * g.Wo, g.G, false);
}

/** The channels an op's blocks cover: output channels, or for the input gradient input channels. */
const opRows = (g: ConvGeom, op: ConvOp) => (op === 'backwardInput' ? g.Cg : g.Og);

/**
 * Whether `rows` channels fill more than a quarter of the blocks of `span` channels that cover
 * them. Padded channel rows cost little on CPU adapters, where loads dominate: lavapipe, a 3x3
 * forward of 48 -> 12 channels at 32x32 (12 of 32 rows real): row4x8 17.6, sg4x4 31.2, sg1x8 34.3
 * ms; the stem's 3 -> 8 (8 of 32): sg1x8 31.4, sg4x4 54.2 ms.
 */
const channelsFill = (rows: number, span: number) => 4 * rows > Math.ceil(rows / span) * span;

/**
 * Blocks of fewer channels for an op with fewer output rows (channels) than the shared blocks
 * hold, such as the input gradient of a stem convolution over 3 colour channels, and whether
 * they should be the default (the shared blocks would be over three quarters padding). Measured
 * on SwiftShader (stem 7x7/2 input gradient): sg1x8 0.57 and reg4x8 0.48 against sg4x4 0.17 GFLOP/s.
 */
function narrowVariants(g: ConvGeom, op: ConvOp): { variants: ConvVariant[]; first: boolean } {
  const sg = deviceSync().info.subgroupSize;
  if (sg === null || sg > 16) return { variants: [], first: false };
  const rows = opRows(g, op);
  const shared = sg * sharedRv(sg);
  if (rows >= shared) return { variants: [], first: false };
  return { variants: ['sg1x8', 'reg4x8'], first: !channelsFill(rows, shared) };
}

/**
 * On CPU adapters the default tile won only on test-sized convolutions (a few dozen channels,
 * maps up to 8x8) and ran 10-100x slower than the register blocks on large ones (SwiftShader,
 * stem 7x7/2 input gradient: over a minute a run), so timing it there would cost minutes.
 */
const CPU_TILE_MAX_MACS = 1 << 24;

/**
 * Whether a register block keeps its lanes on real work: at least three quarters of them on real
 * pixels of a map of `pixels` (workgroups of 64 x pl pixels or row groups), and more than a quarter
 * of its sg x rv channel rows on the op's `rows` channels (see channelsFill). Lanes past the map's
 * end are clamped and run every multiply-add and load of a real lane, so a block that idles more
 * of them loses by construction, and timing it only gives a noisy host the chance to pick it. The
 * tuner had kept sg4x8 (half its lanes idle at 16x16) for the HBP projection's forward at 9.6
 * GFLOP/s where sg4x4 ran 14.6-17.7 in other runs (lavapipe), and timing the 16-channel blocks on
 * the stem's input gradient (3 channels) took 50 of its 64 seconds of tuning (SwiftShader).
 * Other variants (tiles, matmul) count as busy.
 */
export function mostlyBusy(variant: ConvVariant, pixels: number, rows: number): boolean {
  const b = parseBlock(variant);
  if (!b) return true;
  const span = INVOCATIONS * b.pl;
  const covered = Math.ceil(pixels / span) * span;
  return covered - pixels <= covered / 4 && channelsFill(rows, b.sg * b.rv);
}

/**
 * Candidates for an op on this adapter, the fixed default first: on GPUs the tiled kernels, on
 * CPU adapters the register blocks (and the default tile last, for small convolutions).
 */
export function convCandidates(g: ConvGeom, op: ConvOp): ConvVariant[] {
  const blocks = blockVariants();
  if (deviceSync().info.kind === 'gpu') return [...tiledCandidates(g, op), ...blocks];
  const narrow = narrowVariants(g, op);
  const tile = macs(g) <= CPU_TILE_MAX_MACS ? [DEFAULT_TILE] : [];
  return narrow.first ? [...narrow.variants, ...blocks, ...tile] : [...blocks, ...narrow.variants, ...tile];
}

function lanePlaceholders(b: Block): Record<string, string | number> {
  const sub = b.sg > 1;
  return {
    ENABLE: sub ? 'enable subgroups;' : '',
    LANE_BUILTIN: sub ? ', @builtin(subgroup_invocation_id) si: u32' : '',
    LANE: sub ? 'si' : '0u',
    SG: b.sg,
    R: b.sg * b.rv,
    PIXELS: INVOCATIONS * b.pl,
    WTYPE: b.rv === 1 ? 'f32' : `vec${b.rv}<f32>`,
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const lines = (n: number, f: (i: number) => string) => range(n).map(f).join('\n');

/** Accumulators a<r>_<j>, one per (channel, pixel) of the block. */
function accDecl(b: Block): string {
  return range(b.sg * b.rv).map((r) => range(b.pl).map((j) => `  var a${r}_${j} = 0.0;`).join('\n')).join('\n');
}

/**
 * One written-out reduction step of a register kernel (a tap of a channel): the vector of
 * weights this lane loaded for it and its input value for each pixel j of the block.
 */
interface Step {
  w: (comp: number) => string;
  x: (j: number) => string;
}

/** The components of a block's weight vector `name` (a scalar when rv = 1). */
const component = (b: Block, name: string) => (comp: number) => (b.rv === 1 ? name : `${name}[${comp}]`);

/** The loads of some steps and the steps whose multiply-adds they leave to `accumulate`. */
interface Steps {
  code: string;
  steps: Step[];
}

/**
 * The multiply-adds of the steps of one loop iteration, after all their loads: channel r lives in
 * component floor(r / sg) of lane r % sg's weight vector. Each accumulator takes the sum of its
 * steps' products in one addition. Read in lavapipe's x86 code (GALLIVM_DEBUG=asm): every variable
 * a loop writes is stored through the loop's lane mask (load the old value, blend, store), the
 * 128-256 accumulators live on the stack and fma() becomes a multiply and an add, so with one
 * update per step each multiply-add took about six instructions, four of them memory accesses;
 * updating each accumulator once per iteration is what pays. lavapipe, 224 -> 128 1x1
 * at 128x128, old against this order in alternating processes: forward sg4x4 16-19 against 23-26,
 * input gradient 11-13.5 against 20-28 GFLOP/s; 3x3 128 -> 32 at 64x64 (row4x8) forward 18-23
 * against 24-33, input gradient 16-24 against 22-28; SwiftShader within noise at 4 channels.
 */
function accumulate(b: Block, steps: Step[]): string {
  return `{\n${range(b.sg * b.rv).map((r) => {
    const comp = Math.floor(r / b.sg);
    const ws = steps.map((s, i) => `  let w${r}_${i} = ${b.sg > 1 ? `subgroupShuffle(${s.w(comp)}, ${r % b.sg}u)` : s.w(comp)};`);
    const sums = range(b.pl).map((j) => (steps.length === 1
      ? `  a${r}_${j} = fma(w${r}_0, ${steps[0]!.x(j)}, a${r}_${j});`
      : `  a${r}_${j} += ${sumTree(steps.map((s, i) => `w${r}_${i} * ${s.x(j)}`))};`));
    return [...ws, ...sums].join('\n');
  }).join('\n')}\n}`;
}

/**
 * Tap counts compiled into a kernel: measured on lavapipe, the forward 3x3 128 -> 32 at 64x64 ran
 * 1.6-2.5x faster with its taps unrolled (32 x 6 block: 24 against 10 GFLOP/s), since a loop
 * iteration costs as much as several taps there. For 1x1 and 3x3 taps (per stride phase for the
 * input gradient); other kernels keep loops bounded by the uniforms `fallback` (a 7x7 unrolled
 * took too long to compile). CU is the number of channels unrolled with a 1x1 kernel's single
 * tap: 2, with the products of both summed into each accumulator at once (see accumulate);
 * measured against 4 (in one process, alternating): SwiftShader 1x1 1248 -> 128 at 32x32 (sg4x4)
 * forward 3.4 against 2.7, input gradient 3.2 against 2.5 GFLOP/s; lavapipe within noise. The
 * tiled loaders get constant loop bounds (KH, KW) and leave unrolling to the compiler; the
 * register kernels write fixed taps out in full (tapSteps), as SwiftShader unrolls nothing.
 */
interface Unroll {
  KH: string;
  KW: string;
  CU: number;
  /** The tap counts in a pipeline key ('loop' when not fixed); the register kernels add rowTaps. */
  key: string;
  /** The tap counts when fixed, null for loops. */
  counts: [number, number] | null;
  /** Taps per row written out by the register kernels when the rows stay a loop (up to 8), else null. */
  rowTaps: number | null;
}

function unroll(KH: number, KW: number, fallback: [string, string]): Unroll {
  // Only the tap counts DenseNet-like networks use everywhere: each one is another pipeline per
  // block variant to compile (seconds each on lavapipe, cold).
  const fixed = KH === KW && (KH === 1 || KH === 3);
  return {
    KH: fixed ? `${KH}u` : fallback[0], KW: fixed ? `${KW}u` : fallback[1], CU: KH * KW === 1 ? 2 : 1,
    key: fixed ? `${KH}x${KW}` : 'loop', counts: fixed ? [KH, KW] : null, rowTaps: !fixed && KW <= 8 ? KW : null,
  };
}

/** A tap's loads and the step they make: `code` declares the names `step` reads. */
interface Tap {
  code: string;
  step: Step;
}

/**
 * One channel's taps for a register kernel: `row(kh, rs)` sets up a tap row, `tap(kh, kw, index,
 * rs, ts)` is one tap (kh and kw are WGSL expressions; index is kw's value when known; rs and ts
 * are name suffixes unique to the row and the tap, `sfx` being the channel's). Fixed tap counts
 * are written out in full and their steps returned for the caller to accumulate with other
 * channels'; otherwise a loop over tap rows (variable `loops[0]` below `bounds[0]`) whose row of
 * u.rowTaps taps is written out, or a loop over them too (`loops[1]`, `bounds[1]`) for wide
 * kernels, each accumulating inside. Measured on SwiftShader, which unrolls no loops (lavapipe
 * unrolls constant-bound ones itself): forward 1x1 1152 -> 32 at 32x32 (sg4x4) ran 3.5x faster
 * with its 4 channels' taps written out than as loops with constant bounds. The taps' bounds
 * tests combine with `&`, never `&&`: WGSL's `&&` short-circuits, a branch per test, and
 * SwiftShader had not finished compiling the 36 branches of a written-out 3x3 sg4x4 forward pass
 * after 10 minutes (16 GB).
 */
function tapSteps(b: Block, u: Unroll, sfx: string, loops: [string, string], bounds: [string, string],
  row: (kh: string, rs: string) => string, tap: (kh: string, kw: string, index: number | null, rs: string, ts: string) => Tap): Steps {
  const [h, w] = loops;
  const perRow = u.counts ? u.counts[1] : u.rowTaps;
  const rowSteps = (kh: string, rs: string): Steps => {
    if (perRow === null) {
      const t = tap(kh, w, null, rs, `${rs}_t`);
      return { code: `${row(kh, rs)}\nfor (var ${w} = 0u; ${w} < ${bounds[1]}; ${w}++) {\n${t.code}\n${accumulate(b, [t.step])}\n}`, steps: [] };
    }
    const taps = range(perRow).map((k) => tap(kh, `${k}u`, k, rs, `${rs}_${k}`));
    return { code: [row(kh, rs), ...taps.map((t) => t.code)].join('\n'), steps: taps.map((t) => t.step) };
  };
  if (u.counts) {
    const rows = range(u.counts[0]).map((k) => rowSteps(`${k}u`, `${sfx}_${k}`));
    return { code: rows.map((r) => r.code).join('\n'), steps: rows.flatMap((r) => r.steps) };
  }
  const r = rowSteps(h, sfx);
  const acc = r.steps.length > 0 ? `\n${accumulate(b, r.steps)}` : '';
  return { code: `for (var ${h} = 0u; ${h} < ${bounds[0]}; ${h}++) {\n${r.code}${acc}\n}`, steps: [] };
}

/**
 * The reduction over channels in a register kernel's skeleton: CHANNELS, the body of a loop that
 * steps `index` by cu (cu copies of `channel`, at index + 0 .. cu - 1, each given a name suffix
 * of its own), and TAIL, which takes the channels left below `limit` one at a time. The steps the
 * channels leave are accumulated once, after all their loads.
 */
function channelSteps(b: Block, cu: number, index: string, limit: string, channel: (ch: string, sfx: string) => Steps): Record<string, string> {
  const body = (chs: [string, string][]) => {
    const parts = chs.map(([ch, sfx]) => channel(ch, sfx));
    const steps = parts.flatMap((p) => p.steps);
    return [...parts.map((p) => p.code), ...(steps.length > 0 ? [accumulate(b, steps)] : [])].join('\n');
  };
  return {
    CHANNELS: body(range(cu).map((k) => [cu === 1 ? index : `${index} + ${k}u`, `_c${k}`])),
    TAIL: cu === 1 ? '' : `  for (; ${index} < ${limit}; ${index}++) {\n${body([[index, '_c0']])}\n  }`,
  };
}

/** bias<r> for the forward epilogue, loaded only when there is a bias: on CPU adapters each load costs dozens of FMAs. */
function biasLoads(b: Block): string {
  return [
    lines(b.sg * b.rv, (r) => `  var bias${r} = 0.0;`),
    `  if (p.hasBias != 0u) {\n${lines(b.sg * b.rv, (r) => `    bias${r} = B[g * p.O + min(o0 + ${r}u, p.O - 1u)];`)}\n  }`,
  ].join('\n');
}

/** The forward pass's weight load at one tap: packed rows follow (c, kh, kw), so kidx just advances. */
const fwdWeight = (ts: string) => `  let wv${ts} = Wp[kidx];\n  kidx += kstep;`;

/** The forward pass's reduction over input channels, cu at a time: each channel's plane, then its taps. */
function fwdChannels(b: Block, cu: number, taps: (sfx: string) => Steps): Record<string, string> {
  return channelSteps(b, cu, 'c', 'p.C', (c, sfx) => {
    const t = taps(sfx);
    return { code: `  let plane${sfx} = (plane0 + ${c}) * p.H;\n${t.code}`, steps: t.steps };
  });
}

function fwdSource(b: Block, u: Unroll): string {
  if (b.rows) return fwdRowsSource(b, u);
  const taps = (sfx: string) => tapSteps(b, u, sfx, ['kh', 'kw'], ['p.KH', 'p.KW'],
    (kh, rs) => lines(b.pl, (j) => `  let ih${j}${rs} = u32(ih0_${j} + i32(${kh} * p.dh));
  let row${j}${rs} = (plane${sfx} + ih${j}${rs}) * p.W;
  let rowOk${j}${rs} = ih${j}${rs} < p.H;`),
    (_kh, kw, _index, rs, ts) => ({
      code: [fwdWeight(ts), lines(b.pl, (j) => `  let iw${j}${ts} = u32(iw0_${j} + i32(${kw} * p.dw));
  let x${j}${ts} = select(0.0, X[row${j}${rs} + iw${j}${ts}], rowOk${j}${rs} & (iw${j}${ts} < p.W));`)].join('\n'),
      step: { w: component(b, `wv${ts}`), x: (j) => `x${j}${ts}` },
    }));
  return specialize(fwdSrc, {
    CONV_GEOMETRY: geometrySrc,
    ...lanePlaceholders(b), CU: u.CU,
    PIXEL_SETUP: lines(b.pl, (j) => `  let q${j} = min(qBase + ${j * INVOCATIONS}u, P - 1u);
  let ih0_${j} = i32((q${j} / p.Wo) * p.sh) - i32(p.ph);
  let iw0_${j} = i32((q${j} % p.Wo) * p.sw) - i32(p.pw);`),
    ACC_DECL: accDecl(b),
    ...fwdChannels(b, u.CU, taps),
    STORE: [
      biasLoads(b),
      ...range(b.pl).map((j) => `  if (qBase + ${j * INVOCATIONS}u < P) {\n${lines(b.sg * b.rv, (r) =>
        `    if (o0 + ${r}u < p.O) { Y[(yBase + o0 + ${r}u) * P + q${j}] = epilogue(a${r}_${j}, bias${r}); }`)}\n  }`),
    ].join('\n'),
  });
}

/**
 * The row-shared forward kernel (3x3, stride 1): qBase numbers groups of pl adjacent pixels of one
 * output row; each tap row loads its pl + 2 input values once and every tap takes its pl from them.
 */
function fwdRowsSource(b: Block, u: Unroll): string {
  const span = b.pl + 2;
  const taps = (sfx: string) => tapSteps(b, u, sfx, ['kh', 'kw'], ['3u', '3u'], (kh, rs) => `  let ih${rs} = u32(ih0 + i32(${kh}));
  let rowOk${rs} = ih${rs} < p.H;
  let rb${rs} = (plane${sfx} + ih${rs}) * p.W;
${lines(span, (t) => `  let iw${t}${rs} = u32(iw0 + ${t});
  let xs${t}${rs} = select(0.0, X[rb${rs} + iw${t}${rs}], rowOk${rs} & (iw${t}${rs} < p.W));`)}`,
  (_kh, _kw, kw, rs, ts) => ({ code: fwdWeight(ts), step: { w: component(b, `wv${ts}`), x: (j) => `xs${j + (kw ?? 0)}${rs}` } }));
  return specialize(fwdSrc, {
    CONV_GEOMETRY: geometrySrc,
    ...lanePlaceholders(b), PIXELS: INVOCATIONS, CU: 1,
    PIXEL_SETUP: `  let groups = P / ${b.pl}u;
  let q0 = min(qBase, groups - 1u) * ${b.pl}u;
  let ih0 = i32(q0 / p.Wo) - i32(p.ph);
  let iw0 = i32(q0 % p.Wo) - i32(p.pw);`,
    ACC_DECL: accDecl(b),
    ...fwdChannels(b, 1, taps),
    STORE: [
      biasLoads(b),
      `  if (qBase < groups) {\n${lines(b.sg * b.rv, (r) => `    if (o0 + ${r}u < p.O) {\n${lines(b.pl, (j) =>
        `      Y[(yBase + o0 + ${r}u) * P + q0 + ${j}u] = epilogue(a${r}_${j}, bias${r});`)}\n    }`)}\n  }`,
    ].join('\n'),
  });
}

/**
 * The input gradient's channel code around its taps: the channel's dY plane and packed weight
 * row, each tap row's kh and dY row offset, and at each tap its kw, dY column offset and weight.
 * With stride > 1 (`strided`) a phase may have fewer taps than the loops run: a tap past the
 * kernel reads a clamped weight and `tapOk` is false, which the gathers must fold into their
 * bounds test so that it adds exact zeros. A branch around such taps instead measured 1.7x
 * slower on SwiftShader (stem 7x7/2 input gradient, sg4x4: 9.9 against 5.8 s). `row` and `tap`
 * add the gathers and multiply-adds.
 */
function bwdInputChannels(b: Block, u: Unroll, strided: boolean, row: (rs: string, sfx: string) => string,
  tap: (twIndex: number | null, rs: string, ts: string) => { code: string; x: (j: number) => string }): Record<string, string> {
  const zero = b.rv === 1 ? 'f32()' : `vec${b.rv}<f32>()`;
  // With stride 1 the taps are all of the kernel's, in order: kh = th, kw = tw.
  const taps = (sfx: string) => tapSteps(b, u, sfx, ['th', 'tw'], ['(p.KH + p.khStep - 1u) / p.khStep', '(p.KW + p.kwStep - 1u) / p.kwStep'],
    (th, rs) => `${strided ? `  let kh${rs} = kh0 + ${th} * p.khStep;\n` : ''}  let offh${rs} = offh0 - i32(${th}) * dOffh;
${row(rs, sfx)}`, (th, tw, twIndex, rs, ts) => {
      const t = tap(twIndex, rs, ts);
      return {
        code: `  let offw${ts} = offw0 - i32(${tw}) * dOffw;
${strided ? `  let kw${ts} = kw0 + ${tw} * p.kwStep;
  let tapOk${ts} = (kh${rs} < p.KH) & (kw${ts} < p.KW);
  let wv${ts} = select(${zero}, Wp[wo${sfx} + (min(kh${rs}, p.KH - 1u) * p.KW + min(kw${ts}, p.KW - 1u)) * wstep], tapOk${ts});`
    : `  let wv${ts} = Wp[wo${sfx} + (${th} * p.KW + ${tw}) * wstep];`}
${t.code}`,
        step: { w: component(b, `wv${ts}`), x: t.x },
      };
    });
  return channelSteps(b, u.CU, 'o', 'p.O', (o, sfx) => {
    const t = taps(sfx);
    return {
      code: `  let plane${sfx} = (planes + ${o}) * p.Ho;
  let wo${sfx} = (g * p.O + ${o}) * KK * wstep + wid.y * SG + ${b.sg > 1 ? 'si' : '0u'};
${t.code}`,
      steps: t.steps,
    };
  });
}

function bwdInputSource(b: Block, u: Unroll, strided: boolean): string {
  if (b.rows) return bwdInputRowsSource(b, u);
  return specialize(bwdInputSrc, {
    CONV_GEOMETRY: geometrySrc,
    ...lanePlaceholders(b), CU: u.CU,
    PIXEL_SETUP: lines(b.pl, (j) => `  let t${j} = min(qBase + ${j * INVOCATIONS}u, max(count, 1u) - 1u);
  let pi${j} = t${j} / max(Wq, 1u);
  let pj${j} = t${j} % max(Wq, 1u);`),
    ACC_DECL: accDecl(b),
    ...bwdInputChannels(b, u, strided, (rs, sfx) => lines(b.pl, (j) => `  let oh${j}${rs} = u32(i32(pi${j}) + offh${rs});
  let row${j}${rs} = (plane${sfx} + oh${j}${rs}) * p.Wo;
  let rowOk${j}${rs} = oh${j}${rs} < p.Ho;`), (_tw, rs, ts) => ({
      code: lines(b.pl, (j) => `  let ow${j}${ts} = u32(i32(pj${j}) + offw${ts});
  let x${j}${ts} = select(0.0, DY[row${j}${rs} + ow${j}${ts}], rowOk${j}${rs} & (ow${j}${ts} < p.Wo)${strided ? ` & tapOk${ts}` : ''});`),
      x: (j) => `x${j}${ts}`,
    })),
    STORE: range(b.pl).map((j) => `  if (qBase + ${j * INVOCATIONS}u < count) {
    let px${j} = (rh + p.sh * pi${j}) * p.W + rw + p.sw * pj${j};
${lines(b.sg * b.rv, (r) => `    if (c0 + ${r}u < p.C) { DX[(xBase + c0 + ${r}u) * p.H * p.W + px${j}] = a${r}_${j}; }`)}
  }`).join('\n'),
  });
}

/**
 * The row-shared input-gradient kernel (3x3, stride 1, so one phase and offw0 = pw): pixel j of a
 * group reads dY column pj0 + j + pw - tw at tap tw, all within the pl + 2 values loaded per tap row.
 */
function bwdInputRowsSource(b: Block, u: Unroll): string {
  const span = b.pl + 2;
  return specialize(bwdInputSrc, {
    CONV_GEOMETRY: geometrySrc,
    ...lanePlaceholders(b), PIXELS: INVOCATIONS, CU: 1,
    PIXEL_SETUP: `  let groups = count / ${b.pl}u;
  let t0 = min(qBase, max(groups, 1u) - 1u) * ${b.pl}u;
  let pi0 = t0 / max(Wq, 1u);
  let pj0 = t0 % max(Wq, 1u);`,
    ACC_DECL: accDecl(b),
    ...bwdInputChannels(b, u, false, (rs, sfx) => `  let oh${rs} = u32(i32(pi0) + offh${rs});
  let rowOk${rs} = oh${rs} < p.Ho;
  let rb${rs} = (plane${sfx} + oh${rs}) * p.Wo;
${lines(span, (t) => `  let ow${t}${rs} = u32(i32(pj0) + offw0 - ${2 - t});
  let xs${t}${rs} = select(0.0, DY[rb${rs} + ow${t}${rs}], rowOk${rs} & (ow${t}${rs} < p.Wo));`)}`,
    (tw, rs) => ({ code: '', x: (j) => `xs${j + 2 - (tw ?? 0)}${rs}` })),
    STORE: `  if (qBase < groups) {
    let px = pi0 * p.W + pj0;
${lines(b.sg * b.rv, (r) => `    if (c0 + ${r}u < p.C) {\n${lines(b.pl, (j) =>
    `      DX[(xBase + c0 + ${r}u) * p.H * p.W + px + ${j}u] = a${r}_${j};`)}\n    }`)}
  }`,
  });
}

/** The weight-gradient kernels' uniform block (conv2d_bwd_weight_params.wgsl) with the shared geometry in it. */
const bwdWeightParams = specialize(bwdWeightParamsSrc, { CONV_GEOMETRY: geometrySrc });

function bwdWeightSource(b: Block): string {
  const lane = b.sg > 1 ? 'si' : '0u';
  return specialize(bwdWeightSrc, {
    BWD_WEIGHT_PARAMS: bwdWeightParams,
    ...lanePlaceholders(b),
    COL_SETUP: lines(b.pl, (j) => `  let col${j} = min(colBase + ${j * INVOCATIONS}u, cols - 1u);
  let c${j} = col${j} / KK;
  let ihOff${j} = i32(((col${j} % KK) / p.KW) * p.dh) - i32(p.ph);
  let iwOff${j} = i32((col${j} % p.KW) * p.dw) - i32(p.pw);`),
    DY_SETUP: lines(b.rv, (v) => `  let dyCh${v} = min(o0 + ${lane} + ${v * b.sg}u, p.O - 1u) * P;`),
    ACC_DECL: accDecl(b),
    ROW_SETUP: lines(b.pl, (j) => `    let ih${j} = u32(i32(oh * p.sh) + ihOff${j});
    let row${j} = ((xPlanes + c${j}) * p.H + ih${j}) * p.W;
    let rowOk${j} = ih${j} < p.H;`),
    LOAD_DY: lines(b.rv, (v) => `      let d${v} = DY[dyRow + dyCh${v} + ow];`),
    GATHER: lines(b.pl, (j) => `      let iw${j} = u32(i32(ow * p.sw) + iwOff${j});
      let x${j} = select(0.0, X[row${j} + iw${j}], rowOk${j} & (iw${j} < p.W));`),
    FMA: accumulate(b, [{ w: (comp) => `d${comp}`, x: (j) => `x${j}` }]),
    STORE: range(b.pl).map((j) => `  if (colBase + ${j * INVOCATIONS}u < cols) {
${lines(b.sg * b.rv, (r) => `    if (o0 + ${r}u < p.O) { part[(outBase + o0 + ${r}u) * cols + col${j}] = a${r}_${j}; }`)}
  }`).join('\n'),
  });
}

function geomUniforms(g: ConvGeom): Uniforms {
  return new Uniforms().u32(g.Cg, g.H, g.W, g.Og, g.Ho, g.Wo, g.KH, g.KW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.G);
}

function checkGrid(label: string, wg: [number, number, number]): [number, number, number] {
  const max = deviceSync().info.limits.maxComputeWorkgroupsPerDimension;
  if (wg.some((d) => d > max)) throw new TensorError(`${label}: needs a grid of ${wg.join(' x ')} workgroups, more than ${max} per dimension (split the batch)`);
  return wg;
}

/**
 * Weights [G * Og, Cg, KH, KW] packed for a register block: forward rows k = (c, kh, kw) over
 * output channels, backward-input rows k = (o, kh, kw) over input channels (conv2d_pack.wgsl).
 */
function packWeights(label: string, w: Tensor, g: ConvGeom, b: Block, forInput: boolean): Tensor {
  const KK = g.KH * g.KW;
  const R = b.sg * b.rv;
  const CH = forInput ? g.Cg : g.Og;
  const KC = forInput ? g.Og : g.Cg;
  const rowLen = Math.ceil(CH / R) * R;
  const out = Tensor.empty([g.G * KC * KK * rowLen]);
  const u = new Uniforms().u32(rowLen, KC, KK, CH, forInput ? KK : g.Cg * KK, forInput ? g.Cg * KK : KK, g.Og * g.Cg * KK);
  getEngine().dispatch({
    label: `${label} (pack weights)`, key: `conv2d:pack:${b.sg}:${b.rv}`, source: () => specialize(packSrc, { SG: b.sg, RV: b.rv }),
    buffers: [w.buffer, out.buffer], uniforms: u.done(), workgroups: checkGrid(label, [Math.ceil(rowLen / 64), KC, g.G]), cost: out.size,
  });
  return out;
}

/** y = conv(x, w) (+ bias, ReLU) into y [N, G * Og, Ho, Wo]. */
export function convForwardInto(label: string, x: Tensor, w: Tensor, bias: Tensor | null, y: Tensor, g: ConvGeom,
  relu: boolean, variant: ConvVariant): void {
  const engine = getEngine();
  const P = g.Ho * g.Wo;
  const tile = parseTile(variant);
  if (tile) {
    const u = geomUniforms(g).u32(0, bias ? 1 : 0, relu ? 1 : 0, y.size).done();
    const un = unroll(g.KH, g.KW, ['p.KH', 'p.KW']);
    const pointwise = isPointwise(g);
    tiledDispatch({
      label, key: `conv2d:fwd:${un.key}:${pointwise ? 'pw' : 'gather'}`,
      loaders: () => specialize(fwdTiledSrc, { CONV_GEOMETRY: geometrySrc, KH: un.KH, KW: un.KW, POINTWISE: pointwise }), loadB4: true,
      inputs: [x.buffer, w.buffer, (bias ?? w).buffer], uniforms: u, M: g.Og, N: P, gemms: g.N * g.G, cost: macs(g),
    }, tile, y, { bias, relu, plane: P, channels: g.G * g.Og });
    return;
  }
  const b = parseBlock(variant);
  if (!b) throw new TensorError(`${label}: unknown conv2d variant '${variant}'`);
  if (b.rows && !rowVariants(g, 'forward').includes(variant)) throw rowsOnly(label, variant, b, 'output width');
  const packed = packWeights(label, w, g, b, false);
  const OB = Math.ceil(g.Og / (b.sg * b.rv));
  const u = geomUniforms(g).u32(OB, bias ? 1 : 0, relu ? 1 : 0).done();
  const un = unroll(g.KH, g.KW, ['p.KH', 'p.KW']);
  engine.dispatch({
    label, key: `conv2d:fwd:${b.rows ? 'row' : b.sg}:${b.rv}:${b.pl}:${un.key}:${un.rowTaps ?? 0}`, source: () => fwdSource(b, un),
    buffers: [x.buffer, packed.buffer, (bias ?? packed).buffer, y.buffer], uniforms: u, cost: macs(g),
    workgroups: checkGrid(label, [Math.ceil(P / (INVOCATIONS * b.pl)), OB, g.N * g.G]),
  });
  packed.dispose();
}

function gcd(a: number, b: number): number { return b === 0 ? a : gcd(b, a % b); }

/** dx [N, G * Cg, H, W] = gradient of the convolution's input for upstream dy. */
export function convBackwardInputInto(label: string, dy: Tensor, w: Tensor, dx: Tensor, g: ConvGeom, variant: ConvVariant): void {
  const engine = getEngine();
  const khStep = g.sh / gcd(g.sh, g.dh);
  const kwStep = g.sw / gcd(g.sw, g.dw);
  const phases = g.sh * g.sw;
  const maxCount = phasePixels(g);
  const tile = parseTile(variant);
  if (tile) {
    // Stride 1: one phase with every tap, so the tap counts are the kernel's (constants when unrolled).
    const fixed = g.sh === 1 && g.sw === 1 && unroll(g.KH, g.KW, ['', '']).counts !== null;
    const consts = fixed ? { TAPS: `${g.KH * g.KW}u`, NTW: `${g.KW}u`, SH: '1', SW: '1' } : { TAPS: 'c.taps', NTW: 'c.ntw', SH: 'i32(p.sh)', SW: 'i32(p.sw)' };
    const pointwise = isPointwise(g);
    tiledDispatch({
      label, key: `conv2d:bwd_input:${pointwise ? 'pw' : fixed ? `s1:${g.KH}x${g.KW}` : 'any'}`,
      loaders: () => specialize(bwdInputTiledSrc, { CONV_GEOMETRY: geometrySrc, ...consts, POINTWISE: pointwise }), loadB4: true,
      inputs: [dy.buffer, w.buffer], uniforms: geomUniforms(g).u32(0, khStep, kwStep, dx.size).done(), M: g.Cg, N: maxCount, gemms: g.N * g.G * phases, cost: macs(g),
    }, tile, dx, null);
    return;
  }
  const b = parseBlock(variant);
  if (!b) throw new TensorError(`${label}: unknown conv2d variant '${variant}'`);
  if (b.rows && !rowVariants(g, 'backwardInput').includes(variant)) throw rowsOnly(label, variant, b, 'input width');
  const packed = packWeights(label, w, g, b, true);
  const CB = Math.ceil(g.Cg / (b.sg * b.rv));
  const u = geomUniforms(g).u32(CB, khStep, kwStep).done();
  // The most taps one stride phase can have along each axis.
  const un = unroll(Math.ceil(g.KH / khStep), Math.ceil(g.KW / kwStep), ['p.KH', 'p.KW']);
  engine.dispatch({
    label, key: `conv2d:bwd_input:${b.rows ? 'row' : b.sg}:${b.rv}:${b.pl}:${un.key}:${un.rowTaps ?? 0}:${phases > 1 ? 'strided' : 's1'}`, source: () => bwdInputSource(b, un, phases > 1),
    buffers: [dy.buffer, packed.buffer, dx.buffer], uniforms: u, cost: macs(g),
    workgroups: checkGrid(label, [Math.ceil(maxCount / (INVOCATIONS * b.pl)), CB, g.N * g.G * phases]),
  });
  packed.dispose();
}

/**
 * How many parts the weight-gradient reduction over N * Ho output rows is split into: enough
 * workgroups to fill the adapter (many more on GPUs), but rows of at least a few hundred
 * pixels per part so the partial sums stay cheap. Depends on the shape and adapter kind only.
 */
export function weightSplits(g: ConvGeom, tiles: number, gpu: boolean): number {
  const rows = g.N * g.Ho;
  const want = Math.ceil((gpu ? 1024 : 64) / Math.max(1, tiles * g.G));
  const minRows = Math.max(1, Math.ceil(256 / g.Wo));
  return Math.max(1, Math.min(want, Math.floor(rows / minRows), 65535));
}

/**
 * Partial weight gradients [G, splits, Og, Cg * KH * KW] for upstream dy; the caller sums over
 * the splits. Returns the tensor and the split count.
 */
export function convBackwardWeightParts(label: string, x: Tensor, dy: Tensor, g: ConvGeom, variant: ConvVariant): [Tensor, number] {
  const engine = getEngine();
  const cols = g.Cg * g.KH * g.KW;
  const gpu = deviceSync().info.kind === 'gpu';
  const tile = parseTile(variant);
  const b = tile ? null : parseBlock(variant);
  // Output columns and rows per workgroup.
  const [tw, th] = tile && tile.splits === 1 ? [tile.BN, tile.BM] : b && !b.rows ? [INVOCATIONS * b.pl, b.sg * b.rv] : [0, 0];
  if (tw === 0) throw new TensorError(`${label}: unknown conv2d weight-gradient variant '${variant}' (it takes sg<r>x<p>, reg<r>x<p> or t<BM>x<BN> without a k<S> split)`);
  const xTiles = Math.ceil(cols / tw);
  const yTiles = Math.ceil(g.Og / th);
  const splits = weightSplits(g, xTiles * yTiles, gpu);
  const rowsPer = Math.ceil((g.N * g.Ho) / splits);
  const parts = Tensor.empty([g.G, splits, g.Og, cols]);
  const u = geomUniforms(g).u32(g.N, splits, rowsPer).done();
  if (tile) {
    tiledDispatch({
      label, key: 'conv2d:bwd_weight', loaders: () => specialize(bwdWeightTiledSrc, { BWD_WEIGHT_PARAMS: bwdWeightParams }),
      inputs: [x.buffer, dy.buffer], uniforms: u, M: g.Og, N: cols, gemms: g.G * splits, cost: macs(g),
    }, tile, parts, null);
  } else if (b) {
    engine.dispatch({
      label, key: `conv2d:bwd_weight:${b.sg}:${b.rv}:${b.pl}`, source: () => bwdWeightSource(b),
      buffers: [x.buffer, dy.buffer, parts.buffer], uniforms: u, workgroups: checkGrid(label, [xTiles, yTiles, g.G * splits]), cost: macs(g),
    });
  }
  return [parts, splits];
}
