import { gaussianBlur } from './gaussian-blur.ts';
import type { RgbImage } from './rgb-image.ts';

/**
 * Ben Graham's contrast normalisation (Kaggle DR 2015 winner):
 * `out = 4·img − 4·GaussianBlur(img, σ) + 128`, clipped to 0..255. Subtracting the local mean
 * removes illumination and camera colour differences and leaves lesions and vessels as
 * deviations from grey 128. Same arithmetic as `cv2.addWeighted(img, 4, blur, -4, 128)` with
 * the blur rounded to 8 bits first, as OpenCV stores it.
 */
export function benGraham(image: RgbImage, sigma: number): RgbImage {
  const blurred = gaussianBlur(image, sigma);
  const src = image.data;
  const blur = blurred.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = 4 * ((src[i] as number) - (blur[i] as number)) + 128;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * σ scaled with the fundus radius, as in Ben Graham's original code (σ = radius / 30, with the
 * radius in pixels of the image being filtered): the same anatomy is smoothed by the same
 * amount at every resolution.
 */
export function sigmaForRadius(radius: number): number {
  return radius / 30;
}

/**
 * Sets everything outside a centred circle of `fraction`·(min side / 2) to `fill` (default
 * 0.9 and 128, Ben Graham's choice): hides the bright ring the filter leaves at the edge of the
 * fundus, which a network would otherwise learn as a feature.
 */
export function circleMask(image: RgbImage, fraction = 0.9, fill = 128): RgbImage {
  const { width: w, height: h } = image;
  const out = new Uint8Array(image.data);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const r = (fraction * Math.min(w, h)) / 2;
  const r2 = r * r;
  for (let y = 0; y < h; y++) {
    const dy2 = (y - cy) * (y - cy);
    for (let x = 0; x < w; x++) {
      if ((x - cx) * (x - cx) + dy2 > r2) out.fill(fill, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return { width: w, height: h, data: out };
}
