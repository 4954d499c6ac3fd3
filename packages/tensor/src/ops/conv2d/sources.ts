// The WGSL of each convolution kernel: the register-blocked forward, input-gradient and
// weight-gradient kernels (their skeletons in shaders/conv2d_fwd, _bwd_input, _bwd_weight, the
// unrolled parts written by codegen.ts), the weight packer, and the loaders each op gives the
// tiled GEMM core (shaders/conv2d_*_tiled.wgsl).
import bwdInputSrc from '../../../shaders/conv2d_bwd_input.wgsl';
import bwdInputTiledSrc from '../../../shaders/conv2d_bwd_input_tiled.wgsl';
import bwdWeightSrc from '../../../shaders/conv2d_bwd_weight.wgsl';
import bwdWeightTiledSrc from '../../../shaders/conv2d_bwd_weight_tiled.wgsl';
import fwdSrc from '../../../shaders/conv2d_fwd.wgsl';
import fwdTiledSrc from '../../../shaders/conv2d_fwd_tiled.wgsl';
import packSrc from '../../../shaders/conv2d_pack.wgsl';
import phaseSrc from '../../../shaders/conv2d_phase.wgsl';
import { BLOCK_WORKGROUP_SIZE } from '../../limits.ts';
import { specialize } from '../kernels.ts';
import {
  accDecl, accumulate, channelSteps, component, lanePlaceholders, lines, range, tapSteps, type Steps, type Unroll,
} from './codegen.ts';
import { forwardParams, forwardTiledParams, inputGradParams, inputGradTiledParams, packParams, weightGradParams } from './params.ts';
import { narrow, widen, type StorageWgsl } from '../storage.ts';
import type { Block } from './variant.ts';

/** bias<r> for the forward epilogue, loaded only when there is a bias: on CPU adapters each load costs dozens of FMAs. */
function biasLoads(b: Block, t: StorageWgsl): string {
  return [
    lines(b.sg * b.rv, (r) => `  var bias${r} = 0.0;`),
    `  if (p.hasBias != 0u) {\n${lines(b.sg * b.rv, (r) => `    bias${r} = ${widen(t, `B[g * p.O + min(o0 + ${r}u, p.O - 1u)]`)};`)}\n  }`,
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

export function fwdSource(b: Block, u: Unroll, t: StorageWgsl): string {
  if (b.rows) return fwdRowsSource(b, u, t);
  const taps = (sfx: string) => tapSteps(b, u, sfx, ['kh', 'kw'], ['p.KH', 'p.KW'],
    (kh, rs) => lines(b.pl, (j) => `  let ih${j}${rs} = u32(ih0_${j} + i32(${kh} * p.dh));
  let row${j}${rs} = (plane${sfx} + ih${j}${rs}) * p.W + xOff${j};
  let rowOk${j}${rs} = ih${j}${rs} < p.H;`),
    (_kh, kw, _index, rs, ts) => ({
      code: [fwdWeight(ts), lines(b.pl, (j) => `  let iw${j}${ts} = u32(iw0_${j} + i32(${kw} * p.dw));
  let x${j}${ts} = select(0.0, ${widen(t, `X[row${j}${rs} + iw${j}${ts}]`)}, rowOk${j}${rs} & (iw${j}${ts} < p.W));`)].join('\n'),
      step: { w: component(b, `wv${ts}`), x: (j) => `x${j}${ts}` },
    }));
  return specialize(fwdSrc, {
    PARAMS: forwardParams.wgsl,
    ...lanePlaceholders(b, t), CU: u.CU,
    PIXEL_SETUP: lines(b.pl, (j) => `  let t${j} = min(qBase + ${j * BLOCK_WORKGROUP_SIZE}u, total - 1u);
  let m${j} = t${j} / P;
  let q${j} = t${j} % P;
  let ih0_${j} = i32((q${j} / p.Wo) * p.sh) - i32(p.ph);
  let iw0_${j} = i32((q${j} % p.Wo) * p.sw) - i32(p.pw);
  let xOff${j} = m${j} * xImage;
  let yOff${j} = m${j} * yImage;`),
    ACC_DECL: accDecl(b),
    ...fwdChannels(b, u.CU, taps),
    STORE: [
      biasLoads(b, t),
      ...range(b.pl).map((j) => `  if (qBase + ${j * BLOCK_WORKGROUP_SIZE}u < total) {\n${lines(b.sg * b.rv, (r) =>
        `    if (o0 + ${r}u < p.O) { Y[(yBase + o0 + ${r}u) * P + yOff${j} + q${j}] = ${narrow(t, `epilogue(a${r}_${j}, bias${r})`)}; }`)}\n  }`),
    ].join('\n'),
  });
}

/**
 * The row-shared forward kernel (3x3, stride 1): qBase numbers groups of pl adjacent pixels of one
 * output row (rows are a multiple of pl wide, so a group never spans two rows, nor two images);
 * each tap row loads its pl + 2 input values once and every tap takes its pl from them.
 */
function fwdRowsSource(b: Block, u: Unroll, t: StorageWgsl): string {
  const span = b.pl + 2;
  const taps = (sfx: string) => tapSteps(b, u, sfx, ['kh', 'kw'], ['3u', '3u'], (kh, rs) => `  let ih${rs} = u32(ih0 + i32(${kh}));
  let rowOk${rs} = ih${rs} < p.H;
  let rb${rs} = (plane${sfx} + ih${rs}) * p.W + xOff0;
${lines(span, (i) => `  let iw${i}${rs} = u32(iw0 + ${i});
  let xs${i}${rs} = select(0.0, ${widen(t, `X[rb${rs} + iw${i}${rs}]`)}, rowOk${rs} & (iw${i}${rs} < p.W));`)}`,
  (_kh, _kw, kw, rs, ts) => ({ code: fwdWeight(ts), step: { w: component(b, `wv${ts}`), x: (j) => `xs${j + (kw ?? 0)}${rs}` } }));
  return specialize(fwdSrc, {
    PARAMS: forwardParams.wgsl,
    ...lanePlaceholders(b, t), PIXELS: BLOCK_WORKGROUP_SIZE, CU: 1,
    PIXEL_SETUP: `  let groups = total / ${b.pl}u;
  let t0 = min(qBase, groups - 1u) * ${b.pl}u;
  let q0 = t0 % P;
  let ih0 = i32(q0 / p.Wo) - i32(p.ph);
  let iw0 = i32(q0 % p.Wo) - i32(p.pw);
  let m0 = t0 / P;
  let xOff0 = m0 * xImage;
  let yOff0 = m0 * yImage;`,
    ACC_DECL: accDecl(b),
    ...fwdChannels(b, 1, taps),
    STORE: [
      biasLoads(b, t),
      `  if (qBase < groups) {\n${lines(b.sg * b.rv, (r) => `    if (o0 + ${r}u < p.O) {\n${lines(b.pl, (j) =>
        `      Y[(yBase + o0 + ${r}u) * P + yOff0 + q0 + ${j}u] = ${narrow(t, `epilogue(a${r}_${j}, bias${r})`)};`)}\n    }`)}\n  }`,
    ].join('\n'),
  });
}

/**
 * The input gradient's channel code around its taps: the channel's dY plane and packed weight
 * row, each tap row's kh and dY row offset, and at each tap its kw, dY column offset and weight.
 * With stride > 1 (`strided`) a phase may have fewer taps than the loops run: a tap past the
 * kernel reads a clamped weight and `tapOk` is false, which the gathers must fold into their
 * bounds test so that it adds exact zeros. A branch around such taps instead ran 1.7x
 * slower on SwiftShader (bench/RESULTS.md). `row` and `tap`
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
  return channelSteps(b, u.CU, 'o', 'oEnd', (o, sfx) => {
    const t = taps(sfx);
    return {
      code: `  let plane${sfx} = (planes + ${o}) * p.Ho;
  let wo${sfx} = (g * p.O + ${o}) * KK * wstep + wid.y * SG + ${b.sg > 1 ? 'si' : '0u'};
${t.code}`,
      steps: t.steps,
    };
  });
}

export function bwdInputSource(b: Block, u: Unroll, strided: boolean, t: StorageWgsl): string {
  if (b.rows) return bwdInputRowsSource(b, u, t);
  return specialize(bwdInputSrc, {
    PARAMS: inputGradParams.wgsl, PHASE_TAPS: phaseSrc,
    ...lanePlaceholders(b, t), CU: u.CU,
    PIXEL_SETUP: lines(b.pl, (j) => `  let t${j} = min(qBase + ${j * BLOCK_WORKGROUP_SIZE}u, max(total, 1u) - 1u);
  let m${j} = t${j} / max(count, 1u);
  let l${j} = t${j} % max(count, 1u);
  let pi${j} = l${j} / max(Wq, 1u);
  let pj${j} = l${j} % max(Wq, 1u);
  let dyOff${j} = m${j} * dyImage;
  let dxOff${j} = m${j} * dxImage;`),
    ACC_DECL: accDecl(b),
    ...bwdInputChannels(b, u, strided, (rs, sfx) => lines(b.pl, (j) => `  let oh${j}${rs} = u32(i32(pi${j}) + offh${rs});
  let row${j}${rs} = (plane${sfx} + oh${j}${rs}) * p.Wo + dyOff${j};
  let rowOk${j}${rs} = oh${j}${rs} < p.Ho;`), (_tw, rs, ts) => ({
      code: lines(b.pl, (j) => `  let ow${j}${ts} = u32(i32(pj${j}) + offw${ts});
  let x${j}${ts} = select(0.0, ${widen(t, `DY[row${j}${rs} + ow${j}${ts}]`)}, rowOk${j}${rs} & (ow${j}${ts} < p.Wo)${strided ? ` & tapOk${ts}` : ''});`),
      x: (j) => `x${j}${ts}`,
    })),
    STORE: range(b.pl).map((j) => `  if (qBase + ${j * BLOCK_WORKGROUP_SIZE}u < total) {
    let px${j} = dxOff${j} + (rh + p.sh * pi${j}) * p.W + rw + p.sw * pj${j};
${lines(b.sg * b.rv, (r) => `    if (c0 + ${r}u < p.C) { DX[(xBase + c0 + ${r}u) * p.H * p.W + px${j}] = ${narrow(t, `a${r}_${j}`)}; }`)}
  }`).join('\n'),
  });
}

/**
 * The row-shared input-gradient kernel (3x3, stride 1, so one phase and offw0 = pw): pixel j of a
 * group reads dY column pj0 + j + pw - tw at tap tw, all within the pl + 2 values loaded per tap row.
 * Rows are a multiple of pl wide, so a group never spans two rows, nor two images.
 */
function bwdInputRowsSource(b: Block, u: Unroll, t: StorageWgsl): string {
  const span = b.pl + 2;
  return specialize(bwdInputSrc, {
    PARAMS: inputGradParams.wgsl, PHASE_TAPS: phaseSrc,
    ...lanePlaceholders(b, t), PIXELS: BLOCK_WORKGROUP_SIZE, CU: 1,
    PIXEL_SETUP: `  let groups = total / ${b.pl}u;
  let t0 = min(qBase, max(groups, 1u) - 1u) * ${b.pl}u;
  let m0 = t0 / max(count, 1u);
  let l0 = t0 % max(count, 1u);
  let pi0 = l0 / max(Wq, 1u);
  let pj0 = l0 % max(Wq, 1u);
  let dyOff0 = m0 * dyImage;
  let dxOff0 = m0 * dxImage;`,
    ACC_DECL: accDecl(b),
    ...bwdInputChannels(b, u, false, (rs, sfx) => `  let oh${rs} = u32(i32(pi0) + offh${rs});
  let rowOk${rs} = oh${rs} < p.Ho;
  let rb${rs} = (plane${sfx} + oh${rs}) * p.Wo + dyOff0;
${lines(span, (i) => `  let ow${i}${rs} = u32(i32(pj0) + offw0 - ${2 - i});
  let xs${i}${rs} = select(0.0, ${widen(t, `DY[rb${rs} + ow${i}${rs}]`)}, rowOk${rs} & (ow${i}${rs} < p.Wo));`)}`,
    (tw, rs) => ({ code: '', x: (j) => `xs${j + 2 - (tw ?? 0)}${rs}` })),
    STORE: `  if (qBase < groups) {
    let px = dxOff0 + pi0 * p.W + pj0;
${lines(b.sg * b.rv, (r) => `    if (c0 + ${r}u < p.C) {\n${lines(b.pl, (j) =>
    `      DX[(xBase + c0 + ${r}u) * p.H * p.W + px + ${j}u] = ${narrow(t, `a${r}_${j}`)};`)}\n    }`)}
  }`,
  });
}


export function bwdWeightSource(b: Block, t: StorageWgsl): string {
  const lane = b.sg > 1 ? 'si' : '0u';
  return specialize(bwdWeightSrc, {
    PARAMS: weightGradParams.wgsl,
    ...lanePlaceholders(b, t),
    COL_SETUP: lines(b.pl, (j) => `  let col${j} = min(colBase + ${j * BLOCK_WORKGROUP_SIZE}u, cols - 1u);
  let c${j} = col${j} / KK;
  let ihOff${j} = i32(((col${j} % KK) / p.KW) * p.dh) - i32(p.ph);
  let iwOff${j} = i32((col${j} % p.KW) * p.dw) - i32(p.pw);`),
    DY_SETUP: lines(b.rv, (v) => `  let dyCh${v} = min(o0 + ${lane} + ${v * b.sg}u, p.O - 1u) * P;`),
    ACC_DECL: accDecl(b),
    ROW_SETUP: lines(b.pl, (j) => `    let ih${j} = u32(i32(oh * p.sh) + ihOff${j});
    let row${j} = ((xPlanes + c${j}) * p.H + ih${j}) * p.W;
    let rowOk${j} = ih${j} < p.H;`),
    LOAD_DY: lines(b.rv, (v) => `      let d${v} = ${widen(t, `DY[dyRow + dyCh${v} + ow]`)};`),
    GATHER: lines(b.pl, (j) => `      let iw${j} = u32(i32(ow * p.sw) + iwOff${j});
      let x${j} = select(0.0, ${widen(t, `X[row${j} + iw${j}]`)}, rowOk${j} & (iw${j} < p.W));`),
    FMA: accumulate(b, [{ w: (comp) => `d${comp}`, x: (j) => `x${j}` }]),
    STORE: range(b.pl).map((j) => `  if (colBase + ${j * BLOCK_WORKGROUP_SIZE}u < cols) {
${lines(b.sg * b.rv, (r) => `    if (o0 + ${r}u < p.O) { part[(outBase + o0 + ${r}u) * cols + col${j}] = a${r}_${j}; }`)}
  }`).join('\n'),
  });
}

/** The weight packer for blocks of sg lanes loading rv channels each: weights of T in, float32 rows out. */
export function packSource(b: Block, t: StorageWgsl): string {
  return specialize(packSrc, { PARAMS: packParams.wgsl, WORKGROUP_SIZE: BLOCK_WORKGROUP_SIZE, SG: b.sg, RV: b.rv, ...t });
}

/** The tiled forward pass's loaders: taps KH x KW (constants or uniforms), X read directly when pointwise, f32 or f16 storage. */
export function fwdTiledLoaders(u: Unroll, pointwise: boolean, types: StorageWgsl): string {
  return specialize(fwdTiledSrc, { PARAMS: forwardTiledParams.wgsl, KH: u.KH, KW: u.KW, POINTWISE: pointwise, ...types });
}

/**
 * The tiled input gradient's loaders: with `fixed` tap counts (stride 1 and unrolled taps) the
 * taps per phase and per row and the strides are constants, else read from the phase context;
 * dY, W and dX of T.
 */
export function bwdInputTiledLoaders(g: { KH: number; KW: number }, fixed: boolean, pointwise: boolean, types: StorageWgsl): string {
  const consts = fixed ? { TAPS: `${g.KH * g.KW}u`, NTW: `${g.KW}u`, SH: '1', SW: '1' } : { TAPS: 'c.taps', NTW: 'c.ntw', SH: 'i32(p.sh)', SW: 'i32(p.sw)' };
  return specialize(bwdInputTiledSrc, { PARAMS: inputGradTiledParams.wgsl, PHASE_TAPS: phaseSrc, ...consts, POINTWISE: pointwise, ...types });
}

/** The tiled weight gradient's loaders: X and dY of T, the partial sums float32. */
export function bwdWeightTiledLoaders(types: StorageWgsl): string {
  return specialize(bwdWeightTiledSrc, { PARAMS: weightGradParams.wgsl, ...types });
}
