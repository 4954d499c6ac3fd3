import { toByte, type RgbImage } from './rgb-image.ts';

/**
 * Kernel size OpenCV picks for `GaussianBlur(img, (0, 0), sigma)` on 8-bit images:
 * round(sigma·3·2 + 1), made odd. Matching it matters because Ben Graham's images are defined
 * by the OpenCV call the original code made.
 */
export function gaussianKernelSize(sigma: number): number {
  return Math.max(1, Math.round(sigma * 6 + 1)) | 1;
}

/** Normalised 1-D Gaussian weights (OpenCV's getGaussianKernel for sigma > 0). */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const kernel = new Float64Array(size);
  const centre = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - centre;
    const v = Math.exp(-(x * x) / (2 * sigma * sigma));
    kernel[i] = v;
    sum += v;
  }
  for (let i = 0; i < size; i++) kernel[i] = (kernel[i] as number) / sum;
  return kernel;
}

/** OpenCV's BORDER_REFLECT_101 index (gfedcb|abcdefgh|gfedcba), valid for any offset. */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/**
 * Separable Gaussian blur with OpenCV semantics (kernel size from sigma, BORDER_REFLECT_101),
 * computed in floating point and rounded to 8 bits. OpenCV's own 8-bit path uses fixed-point
 * weights, so results may differ from it by one grey level here and there.
 */
export function gaussianBlur(image: RgbImage, sigma: number): RgbImage {
  if (!(sigma > 0)) throw new RangeError(`gaussianBlur: sigma must be positive, got ${sigma}`);
  const { width: w, height: h, data } = image;
  const size = gaussianKernelSize(sigma);
  const half = (size - 1) / 2;
  // The kernel is symmetric: k[half ± t] share a weight, which halves the multiplications.
  const full = gaussianKernel(size, sigma);
  const k = new Float32Array(half + 1);
  for (let t = 0; t <= half; t++) k[t] = full[half + t] as number;

  // Horizontal pass, one channel of one row at a time through a reflect-padded line buffer.
  const temp = new Float32Array(w * h * 3);
  const line = new Float32Array(w + 2 * half);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < line.length; i++) line[i] = data[row + reflect101(i - half, w) * 3 + c] as number;
      for (let x = 0; x < w; x++) {
        const centre = x + half;
        let sum = (k[0] as number) * (line[centre] as number);
        for (let t = 1; t <= half; t++) sum += (k[t] as number) * ((line[centre - t] as number) + (line[centre + t] as number));
        temp[row + x * 3 + c] = sum;
      }
    }
  }

  // Vertical pass over whole rows (all channels at once, contiguous memory).
  const out = new Uint8Array(data.length);
  const stride = w * 3;
  const acc = new Float32Array(stride);
  for (let y = 0; y < h; y++) {
    const middle = y * stride;
    const k0 = k[0] as number;
    for (let i = 0; i < stride; i++) acc[i] = k0 * (temp[middle + i] as number);
    for (let t = 1; t <= half; t++) {
      const above = reflect101(y - t, h) * stride;
      const below = reflect101(y + t, h) * stride;
      const kt = k[t] as number;
      for (let i = 0; i < stride; i++) acc[i] = (acc[i] as number) + kt * ((temp[above + i] as number) + (temp[below + i] as number));
    }
    for (let i = 0; i < stride; i++) out[middle + i] = toByte(acc[i] as number);
  }
  return { width: w, height: h, data: out };
}
