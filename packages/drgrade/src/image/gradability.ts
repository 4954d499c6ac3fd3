// Whether a photograph shows a fundus that can be graded at all. A classifier grades whatever it
// is given (an all-black frame comes out "No DR" with ordinary-looking probabilities); screening
// systems report such photographs as ungradable instead, and so does drgrade, before grading.
import type { RgbImage } from './rgb-image.ts';

/** What the check measures, on a copy block-averaged to at most GRID cells a side. */
export interface GradabilityMeasures {
  /** Shorter side of the photograph in pixels. */
  side: number;
  /** Fraction of the frame brighter than LIT_LEVEL: the fundus (the rest is the camera's black surround). */
  lit: number;
  /** Mean luma (0..255) of the lit part. */
  brightness: number;
  /** Fraction of the lit part at or above SATURATED. */
  saturated: number;
  /** Standard deviation of luma over the lit part: 0 for a blank frame. */
  contrast: number;
  /** Mean absolute Laplacian of luma inside the lit part: fine detail, which blur removes. */
  detail: number;
  /** Red over green in the lit part: a fundus is red-orange (the choroid), other scenes mostly are not. */
  redness: number;
}

export type Gradability = { gradable: true; measures: GradabilityMeasures } | { gradable: false; reason: string; measures: GradabilityMeasures };

const GRID = 256;
const LIT_LEVEL = 20;
const SATURATED = 250;

/**
 * Thresholds. Measured by a one-off script over every real photograph of realdr-dev and
 * fundus-sample (359 JPEGs, 768x514, all gradable) and synthetic sets of 64 to 256 px: the
 * comments give the range the real photographs span, so each threshold sits well outside it.
 */
export const GRADABILITY_LIMITS = {
  /** Shorter side: 514 in the real photographs; the synthetic training sets of the tests are 96. */
  minSide: 64,
  /** Lit fraction: 0.52 to 0.76 (the fundus disc of a 3:2 frame). */
  minLit: 0.15,
  /** Brightness of the lit part: 36 to 152. (A dark fundus fails minLit: its pixels are not lit.) */
  maxBrightness: 220,
  /** Saturated fraction: 0.0001 at the most. */
  maxSaturated: 0.5,
  /** Contrast: 9.6 to 44. */
  minContrast: 4,
  /**
   * Detail: 2.45 to 8.3 (synthetic: 4.1 and up). A Gaussian blur of sigma 8 px at 768 px brings
   * the real photographs to 0.65 at the most (sigma 4: 1.37), so the threshold refuses a far
   * blurred photograph and keeps a slightly soft one.
   */
  minDetail: 1,
  /** Red over green: 1.45 to 3.9 (synthetic: 1.47 and up); grey scenes are 1. */
  minRedness: 1.1,
} as const;

/** Block-averaged luma and colour sums of the photograph, at most GRID cells a side. */
function downsample(image: RgbImage): { w: number; h: number; luma: Float64Array; red: Float64Array; green: Float64Array } {
  const f = Math.max(1, Math.ceil(Math.max(image.width, image.height) / GRID));
  const w = Math.ceil(image.width / f);
  const h = Math.ceil(image.height / f);
  const red = new Float64Array(w * h);
  const green = new Float64Array(w * h);
  const luma = new Float64Array(w * h);
  const count = new Float64Array(w * h);
  const d = image.data;
  for (let y = 0; y < image.height; y++) {
    const row = Math.floor(y / f) * w;
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 3;
      const c = row + Math.floor(x / f);
      const r = d[i] as number;
      const g = d[i + 1] as number;
      red[c]! += r;
      green[c]! += g;
      luma[c]! += 0.299 * r + 0.587 * g + 0.114 * (d[i + 2] as number);
      count[c]! += 1;
    }
  }
  for (let c = 0; c < w * h; c++) {
    const n = count[c] as number;
    red[c]! /= n;
    green[c]! /= n;
    luma[c]! /= n;
  }
  return { w, h, luma, red, green };
}

export function measureGradability(image: RgbImage): GradabilityMeasures {
  const { w, h, luma, red, green } = downsample(image);
  let lit = 0;
  let sum = 0;
  let sumSq = 0;
  let saturated = 0;
  let redSum = 0;
  let greenSum = 0;
  for (let c = 0; c < w * h; c++) {
    const v = luma[c] as number;
    if (v <= LIT_LEVEL) continue;
    lit++;
    sum += v;
    sumSq += v * v;
    if (v >= SATURATED) saturated++;
    redSum += red[c] as number;
    greenSum += green[c] as number;
  }
  // Laplacian only where the cell and its four neighbours are lit, so the fundus rim is not "detail".
  let detail = 0;
  let inner = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const c = y * w + x;
      const v = luma[c] as number;
      const n = [luma[c - 1], luma[c + 1], luma[c - w], luma[c + w]] as number[];
      if (v <= LIT_LEVEL || n.some((u) => u <= LIT_LEVEL)) continue;
      detail += Math.abs(4 * v - n[0]! - n[1]! - n[2]! - n[3]!);
      inner++;
    }
  }
  const mean = lit > 0 ? sum / lit : 0;
  return {
    side: Math.min(image.width, image.height),
    lit: lit / (w * h),
    brightness: mean,
    saturated: lit > 0 ? saturated / lit : 0,
    contrast: lit > 0 ? Math.sqrt(Math.max(0, sumSq / lit - mean * mean)) : 0,
    detail: inner > 0 ? detail / inner : 0,
    redness: redSum / Math.max(greenSum, 1),
  };
}

/** The first reason, in order of how plainly it shows, why the photograph cannot be graded; or gradable. */
export function assessGradability(image: RgbImage): Gradability {
  const m = measureGradability(image);
  const L = GRADABILITY_LIMITS;
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  const fail = (reason: string): Gradability => ({ gradable: false, reason, measures: m });
  if (m.side < L.minSide) return fail(`ungradable: the photograph is ${image.width}x${image.height}, too small to grade (at least ${L.minSide} pixels a side)`);
  if (m.lit < L.minLit) return fail(`ungradable: no fundus found, only ${pct(m.lit)} of the frame is lit (at least ${pct(L.minLit)}); the photograph is black or far too dark`);
  if (m.brightness > L.maxBrightness || m.saturated > L.maxSaturated) {
    return fail(`ungradable: the photograph is overexposed (mean brightness ${m.brightness.toFixed(0)} of 255, ${pct(m.saturated)} saturated)`);
  }
  if (m.contrast < L.minContrast) return fail(`ungradable: the photograph is blank (brightness varies by ${m.contrast.toFixed(1)} levels, at least ${L.minContrast})`);
  if (m.redness < L.minRedness) return fail(`ungradable: not a fundus photograph (red/green ${m.redness.toFixed(2)}, a fundus is at least ${L.minRedness})`);
  if (m.detail < L.minDetail) return fail(`ungradable: the photograph is far out of focus (detail ${m.detail.toFixed(2)}, at least ${L.minDetail})`);
  return { gradable: true, measures: m };
}
