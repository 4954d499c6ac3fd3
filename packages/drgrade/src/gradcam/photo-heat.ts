// Grad-CAM over the photograph a clinician took, not only over the network's small square input:
// the heat map is carried back through the preprocessing's crop, square padding and resize.
import type { FundusFrame } from '../image/preprocess.ts';

/** One axis of the map back: for each photograph pixel, the two map samples and their weights. */
function axis(count: number, offset: number, side: number, size: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(count), i1 = new Int32Array(count), f = new Float32Array(count);
  for (let p = 0; p < count; p++) {
    // Pixel centres as preprocessFundus's resize places them (OpenCV INTER_LINEAR: half-pixel
    // centres), clamped at the edges as OpenCV does.
    const s = Math.min(Math.max(((p + offset + 0.5) * size) / side - 0.5, 0), size - 1);
    i0[p] = Math.floor(s);
    i1[p] = Math.min(i0[p]! + 1, size - 1);
    f[p] = s - i0[p]!;
  }
  return { i0, i1, f };
}

/**
 * A size x size heat map of the preprocessed input, as one value per pixel of the photograph
 * `frame` describes: bilinear inside the crop box, NaN outside it (the model never saw those pixels,
 * so they have no heat; the square padding falls outside the box by construction).
 */
export function heatOnPhoto(heat: Float32Array, size: number, frame: FundusFrame): Float32Array {
  if (heat.length !== size * size) throw new RangeError(`heatOnPhoto: map has ${heat.length} values, not ${size}x${size}`);
  const { photoWidth, photoHeight, box, side, left, top } = frame;
  const out = new Float32Array(photoWidth * photoHeight).fill(Number.NaN);
  const xs = axis(box.width, left, side, size);
  const ys = axis(box.height, top, side, size);
  for (let y = 0; y < box.height; y++) {
    const r0 = ys.i0[y]! * size, r1 = ys.i1[y]! * size, fy = ys.f[y]!;
    const row = (box.y + y) * photoWidth + box.x;
    for (let x = 0; x < box.width; x++) {
      const c0 = xs.i0[x]!, c1 = xs.i1[x]!, fx = xs.f[x]!;
      const upper = heat[r0 + c0]! * (1 - fx) + heat[r0 + c1]! * fx;
      const lower = heat[r1 + c0]! * (1 - fx) + heat[r1 + c1]! * fx;
      out[row + x] = upper * (1 - fy) + lower * fy;
    }
  }
  return out;
}
