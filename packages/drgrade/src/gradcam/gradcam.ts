// Grad-CAM (Selvaraju et al., ICCV 2017): α_k = mean over space of ∂y_c/∂A_k, with y_c the
// pre-softmax score of class c; map = ReLU(Σ_k α_k·A_k), upsampled to the input and min–max
// normalised (REFERENCE trap 5).
import { noGrad, TensorError, tidy, type Tensor } from '@drgrade/tensor';
import { turbo } from './turbo.ts';

/** The class-activation map of one image at the activation's resolution (h·w values, row-major). */
export async function camFromActivation(activation: Tensor, gradient: Tensor): Promise<{ map: Float32Array; height: number; width: number }> {
  if (activation.rank !== 4 || activation.shape[0] !== 1) throw new TensorError(`gradcam: activation ${activation.describe()} must be [1, C, h, w]`);
  if (gradient.shape.join() !== activation.shape.join()) throw new TensorError(`gradcam: gradient ${gradient.describe()} does not match activation ${activation.describe()}`);
  const cam = noGrad(() => tidy(() => gradient.mean([2, 3], true).mul(activation).sum(1).relu()));
  const map = (await cam.toArray()) as Float32Array;
  cam.dispose();
  return { map, height: activation.shape[2]!, width: activation.shape[3]! };
}

/** Bilinear upsampling with half-pixel centres (align_corners = false), then min–max to [0, 1]. */
export function upsampleAndNormalize(map: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.max(0, ((y + 0.5) * h) / outH - 0.5);
    const y0 = Math.min(Math.floor(sy), h - 1), y1 = Math.min(y0 + 1, h - 1), fy = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.max(0, ((x + 0.5) * w) / outW - 0.5);
      const x0 = Math.min(Math.floor(sx), w - 1), x1 = Math.min(x0 + 1, w - 1), fx = sx - x0;
      const top = map[y0 * w + x0]! * (1 - fx) + map[y0 * w + x1]! * fx;
      const bottom = map[y1 * w + x0]! * (1 - fx) + map[y1 * w + x1]! * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of out) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  // A map with no positive evidence anywhere stays all zero rather than dividing by zero.
  const range = hi - lo;
  for (let i = 0; i < out.length; i++) out[i] = range > 0 ? (out[i]! - lo) / range : 0;
  return out;
}

/**
 * Blends a heat map (values in [0, 1], one per pixel) over an RGB image in the Turbo colours. NaN
 * marks a pixel without heat (outside the part of a photograph the model saw): it keeps its colour.
 */
export function overlay(rgb: Uint8Array, heat: Float32Array, opacity = 0.45): Uint8Array {
  if (rgb.length !== heat.length * 3) throw new RangeError(`gradcam overlay: image has ${rgb.length / 3} pixels, map ${heat.length}`);
  const out = Uint8Array.from(rgb);
  for (let i = 0; i < heat.length; i++) {
    const v = heat[i]!;
    if (Number.isNaN(v)) continue;
    const [r, g, b] = turbo(v);
    out[3 * i] = Math.round((1 - opacity) * rgb[3 * i]! + opacity * r);
    out[3 * i + 1] = Math.round((1 - opacity) * rgb[3 * i + 1]! + opacity * g);
    out[3 * i + 2] = Math.round((1 - opacity) * rgb[3 * i + 2]! + opacity * b);
  }
  return out;
}
