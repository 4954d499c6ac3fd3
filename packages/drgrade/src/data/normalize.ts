// Network input from an 8-bit image: the one normalisation of training, evaluation, prediction
// and the page.
import type { RgbImage } from '../image/rgb-image.ts';

/** Per-channel mean and std of the 0..1 values, subtracted and divided. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** Writes an image as normalised planar float32 (C, H, W) into `out` at `offset`. */
export function writeNormalizedChw(image: RgbImage, mean: readonly number[], std: readonly number[], out: Float32Array, offset = 0): void {
  const plane = image.width * image.height;
  const data = image.data;
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * (std[c] as number));
    const shift = (mean[c] as number) / (std[c] as number);
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (data[i * 3 + c] as number) * scale - shift;
  }
}
