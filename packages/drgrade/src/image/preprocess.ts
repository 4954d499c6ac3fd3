import { benGraham, circleMask, sigmaForRadius } from './ben-graham.ts';
import { foregroundBox, type Box } from './black-border.ts';
import { resize } from './resize.ts';
import { cropImage, padToSquare, type RgbImage } from './rgb-image.ts';

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
 * Where the network's square input sits on the photograph: the crop `box` (the whole photograph
 * when cropping is off or finds no fundus) is centred on a `side` x `side` square at (left, top),
 * and that square is resized to the network's size. Grad-CAM maps its heat back through it.
 */
export interface FundusFrame {
  photoWidth: number;
  photoHeight: number;
  box: Box;
  side: number;
  left: number;
  top: number;
}

/** The frame preprocessFundus uses for this photograph (the one place the geometry is decided). */
export function fundusFrame(image: RgbImage, crop = true): FundusFrame {
  const box = (crop ? foregroundBox(image) : null) ?? { x: 0, y: 0, width: image.width, height: image.height };
  const side = Math.max(box.width, box.height);
  // padToSquare's placement: the remainder of an odd difference goes to the right and bottom.
  return { photoWidth: image.width, photoHeight: image.height, box, side, left: Math.floor((side - box.width) / 2), top: Math.floor((side - box.height) / 2) };
}

/**
 * The paper's preprocessing (§4.2): crop the black border, centre the fundus on a square black
 * canvas (so it stays round: IDRiD photographs cut the disc at top and bottom), resize to
 * size x size with area averaging, apply Ben Graham's filter, optionally mask the rim. After the
 * square padding the fundus radius is size / 2, which is what σ = 'radius' scales with.
 */
export function preprocessFundus(image: RgbImage, options: PreprocessOptions): RgbImage {
  const { box } = fundusFrame(image, options.crop !== false);
  const whole = box.width === image.width && box.height === image.height;
  const cropped = whole ? image : cropImage(image, box.x, box.y, box.width, box.height);
  let out = resize(padToSquare(cropped, 0), options.size, options.size);
  if (options.sigma !== null) {
    const sigma = options.sigma === 'radius' ? sigmaForRadius(options.size / 2) : options.sigma;
    out = benGraham(out, sigma);
  }
  if (options.mask) out = circleMask(out, 0.9, options.sigma === null ? 0 : 128);
  return out;
}
