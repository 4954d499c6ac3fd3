// The uniform blocks of the convolution kernels, each declared once: the WGSL struct spliced into
// the shader as {{PARAMS}} and the packer come from the same declaration (uniforms.ts).
import { uniformBlock, type UniformFields, type UniformValues } from '../../uniforms.ts';
import type { ConvGeom } from './geometry.ts';

/**
 * The geometry every convolution kernel reads, per group: C input and O output channels, H x W
 * input and Ho x Wo output maps, KH x KW taps, strides sh, sw, padding ph, pw, dilation dh, dw
 * and the G groups.
 */
const GEOMETRY = {
  C: 'u32', H: 'u32', W: 'u32', O: 'u32', Ho: 'u32', Wo: 'u32', KH: 'u32', KW: 'u32',
  sh: 'u32', sw: 'u32', ph: 'u32', pw: 'u32', dh: 'u32', dw: 'u32', G: 'u32',
} as const satisfies UniformFields;

/** The geometry's values and an op's own (`extra`), for one of the blocks below. */
export function withGeometry<E extends Record<string, number | boolean>>(g: ConvGeom, extra: E): UniformValues<typeof GEOMETRY> & E {
  const values = { C: g.Cg, H: g.H, W: g.W, O: g.Og, Ho: g.Ho, Wo: g.Wo, KH: g.KH, KW: g.KW, sh: g.sh, sw: g.sw, ph: g.ph, pw: g.pw, dh: g.dh, dw: g.dw, G: g.G };
  // Object.assign, not a spread: spreading this object took V8's slow path, 5x the time of
  // packing it, on every dispatch.
  return Object.assign(values, extra);
}

/**
 * Register-blocked forward pass: OB channel blocks of R per group in the packed weights, the
 * epilogue's switches, the batch N and F, the images whose pixels one slice of workgroups runs through.
 */
export const forwardParams = uniformBlock({ ...GEOMETRY, OB: 'u32', hasBias: 'u32', relu: 'u32', N: 'u32', F: 'u32' });

/** Tiled forward pass: the epilogue's switches and outs, the elements of Y (the stride between split-K parts). */
export const forwardTiledParams = uniformBlock({ ...GEOMETRY, hasBias: 'u32', relu: 'u32', outs: 'u32' });

/**
 * Register-blocked input gradient: CB channel blocks of R per group in the packed weights,
 * khStep = sh / gcd(sh, dh) (kwStep likewise), the distance between the taps of one stride phase,
 * the batch N and F, the images whose pixels one slice of workgroups runs through (dispatch.ts).
 */
export const inputGradParams = uniformBlock({ ...GEOMETRY, CB: 'u32', khStep: 'u32', kwStep: 'u32', N: 'u32', F: 'u32' });

/** Tiled input gradient: the tap steps as above and outs, the elements of dX (the stride between split-K parts). */
export const inputGradTiledParams = uniformBlock({ ...GEOMETRY, khStep: 'u32', kwStep: 'u32', outs: 'u32' });

/** Both weight-gradient kernels: the batch N and the split of the N * Ho output rows into `splits` runs of `rowsPer`. */
export const weightGradParams = uniformBlock({ ...GEOMETRY, N: 'u32', splits: 'u32', rowsPer: 'u32' });

/**
 * The weight packer (conv2d_pack.wgsl): rowLen packed entries per reduction row, KC rows before
 * taps (Cg forward, Og input gradient), KK taps per row, CH channels packed, and the source
 * strides of a channel, a row and a group.
 */
export const packParams = uniformBlock({ rowLen: 'u32', KC: 'u32', KK: 'u32', CH: 'u32', chStride: 'u32', kcStride: 'u32', gStride: 'u32' });
