import { benGraham, circleMask, sigmaForRadius } from './ben-graham.ts';
import { cropBlackBorder } from './black-border.ts';
import { resize } from './resize.ts';
import { padToSquare, type RgbImage } from './rgb-image.ts';

export interface PreprocessOptions {
  /** Output side in pixels (the image is square). */
  size: number;
  /**
   * Ben Graham blur σ in output pixels: a number (10 is the usual choice at ~512 px), 'radius'
   * for Ben's original σ = fundus radius / 30, or null to skip the filter (crop + resize only).
   */
  sigma: number | 'radius' | null;
  /** Set pixels outside 0.9 × the fundus radius to 128 (default false). */
  mask?: boolean;
  /** Crop the black border first (default true). */
  crop?: boolean;
}

export const DEFAULT_PREPROCESS: PreprocessOptions = { size: 512, sigma: 10, mask: false, crop: true };

/**
 * The paper's preprocessing (§4.2): crop the black border, centre the fundus on a square black
 * canvas (so it stays round: IDRiD photographs cut the disc at top and bottom), resize to
 * size x size with area averaging, apply Ben Graham's filter, optionally mask the rim. After the
 * square padding the fundus radius is size / 2, which is what σ = 'radius' scales with.
 */
export function preprocessFundus(image: RgbImage, options: PreprocessOptions): RgbImage {
  const cropped = options.crop === false ? image : cropBlackBorder(image);
  let out = resize(padToSquare(cropped, 0), options.size, options.size);
  if (options.sigma !== null) {
    const sigma = options.sigma === 'radius' ? sigmaForRadius(options.size / 2) : options.sigma;
    out = benGraham(out, sigma);
  }
  if (options.mask) out = circleMask(out, 0.9, options.sigma === null ? 0 : 128);
  return out;
}
