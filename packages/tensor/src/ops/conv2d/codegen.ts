// The machinery that writes out the register-blocked convolution kernels' unrolled parts: one
// accumulator per (channel, pixel) of a block, the taps of a channel, the reduction over channels.
// The kernels' skeletons are in shaders/conv2d_*.wgsl; sources.ts fills each one with these.
import { BLOCK_WORKGROUP_SIZE } from '../../limits.ts';
import { sumTree } from '../kernels.ts';
import type { StorageWgsl } from '../storage.ts';
import type { Block } from './variant.ts';

/** The skeletons' lane placeholders, and T, the element type of their activation bindings (f32 or f16 storage). */
export function lanePlaceholders(b: Block, types: StorageWgsl): Record<string, string | number> {
  const sub = b.sg > 1;
  return {
    ENABLE: [types.ENABLE, sub ? 'enable subgroups;' : ''].filter((d) => d !== '').join('\n'),
    T: types.T,
    LANE_BUILTIN: sub ? ', @builtin(subgroup_invocation_id) si: u32' : '',
    LANE: sub ? 'si' : '0u',
    SG: b.sg,
    R: b.sg * b.rv,
    WORKGROUP_SIZE: BLOCK_WORKGROUP_SIZE,
    PIXELS: BLOCK_WORKGROUP_SIZE * b.pl,
    WTYPE: b.rv === 1 ? 'f32' : `vec${b.rv}<f32>`,
  };
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const lines = (n: number, f: (i: number) => string) => range(n).map(f).join('\n');

/** Accumulators a<r>_<j>, one per (channel, pixel) of the block. */
export function accDecl(b: Block): string {
  return range(b.sg * b.rv).map((r) => range(b.pl).map((j) => `  var a${r}_${j} = 0.0;`).join('\n')).join('\n');
}

/**
 * One written-out reduction step of a register kernel (a tap of a channel): the vector of
 * weights this lane loaded for it and its input value for each pixel j of the block.
 */
export interface Step {
  w: (comp: number) => string;
  x: (j: number) => string;
}

/** The components of a block's weight vector `name` (a scalar when rv = 1). */
export const component = (b: Block, name: string) => (comp: number) => (b.rv === 1 ? name : `${name}[${comp}]`);

/** The loads of some steps and the steps whose multiply-adds they leave to `accumulate`. */
export interface Steps {
  code: string;
  steps: Step[];
}

/**
 * The multiply-adds of the steps of one loop iteration, after all their loads: channel r lives in
 * component floor(r / sg) of lane r % sg's weight vector. Each accumulator takes the sum of its
 * steps' products in one addition: lavapipe stores every variable a loop writes through the
 * loop's lane mask (load, blend, store), so one update per accumulator per iteration, not one per
 * step, is what pays (bench/RESULTS.md, "Why the kernels are built as they are").
 */
export function accumulate(b: Block, steps: Step[]): string {
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
 * Tap counts compiled into a kernel. Written-out taps ran 1.6-2.5x faster than a loop on
 * lavapipe, where a loop iteration costs as much as several taps, so 1x1 and 3x3 taps (per stride
 * phase for the input gradient) are unrolled; other kernels keep loops bounded by the uniforms
 * `fallback` (a 7x7 unrolled took too long to compile). CU is the number of channels unrolled with
 * a 1x1 kernel's single tap: 2, with the products of both summed into each accumulator at once
 * (faster than 4 on SwiftShader). The tiled loaders get constant loop bounds (KH, KW) and leave
 * unrolling to the compiler; the register kernels write fixed taps out in full (tapSteps), as
 * SwiftShader unrolls nothing. Measurements: bench/RESULTS.md, "Why the kernels are built as they are".
 */
export interface Unroll {
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

export function unroll(KH: number, KW: number, fallback: [string, string]): Unroll {
  // Only the tap counts DenseNet-like networks use everywhere: each one is another pipeline per
  // block variant to compile (seconds each on lavapipe, cold).
  const fixed = KH === KW && (KH === 1 || KH === 3);
  return {
    KH: fixed ? `${KH}u` : fallback[0], KW: fixed ? `${KW}u` : fallback[1], CU: KH * KW === 1 ? 2 : 1,
    key: fixed ? `${KH}x${KW}` : 'loop', counts: fixed ? [KH, KW] : null, rowTaps: !fixed && KW <= 8 ? KW : null,
  };
}

/** A tap's loads and the step they make: `code` declares the names `step` reads. */
export interface Tap {
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
 * kernels, each accumulating inside. Writing taps out pays on SwiftShader, which unrolls no loops
 * (lavapipe unrolls constant-bound ones itself). The taps' bounds tests combine with `&`, never
 * `&&`: WGSL's `&&` short-circuits, a branch per test, and SwiftShader did not finish compiling
 * the 36 branches of a written-out 3x3 sg4x4 forward pass in 10 minutes.
 */
export function tapSteps(b: Block, u: Unroll, sfx: string, loops: [string, string], bounds: [string, string],
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
export function channelSteps(b: Block, cu: number, index: string, limit: string, channel: (ch: string, sfx: string) => Steps): Record<string, string> {
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
