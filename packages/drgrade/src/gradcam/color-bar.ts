// The colour bar under a Grad-CAM picture: which colour means low and which high relevance, so a
// saved image can be read without the tool that made it.
import { drawText, textWidth } from '../image/bitmap-font.ts';
import { createImage, type RgbImage } from '../image/rgb-image.ts';
import { turbo } from './turbo.ts';

const PAPER = 255;
const INK: readonly [number, number, number] = [32, 32, 32];
/** Narrower pictures get a wider strip (white beside them), so the labels always fit. */
const MIN_WIDTH = 128;

/** A horizontal ramp of the colour map: the left column is its low end, the right column its high end. */
export function colorRamp(width: number, height: number): RgbImage {
  const ramp = createImage(width, height);
  for (let x = 0; x < width; x++) {
    const colour = turbo(width > 1 ? x / (width - 1) : 1);
    for (let y = 0; y < height; y++) ramp.data.set(colour, (y * width + x) * 3);
  }
  return ramp;
}

/**
 * The image with a strip below it: "LOW", the colour ramp, "HIGH", and the caption centred under
 * them. Everything scales with the width, so a 4000-pixel photograph gets a bar one can read.
 */
export function withColorBar(image: RgbImage, caption: string): RgbImage {
  const width = Math.max(image.width, MIN_WIDTH);
  const s = Math.max(1, Math.round(width / 320));
  const stripHeight = 22 * s;
  const out = createImage(width, image.height + stripHeight, PAPER);
  for (let y = 0; y < image.height; y++) out.data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), y * width * 3);
  const top = image.height + 3 * s;
  const barLeft = 3 * s + textWidth('LOW', s) + 3 * s;
  const barRight = width - 3 * s - textWidth('HIGH', s) - 3 * s;
  drawText(out, 'LOW', 3 * s, top, s, INK);
  drawText(out, 'HIGH', barRight + 3 * s, top, s, INK);
  const ramp = colorRamp(barRight - barLeft, 7 * s);
  for (let y = 0; y < ramp.height; y++) out.data.set(ramp.data.subarray(y * ramp.width * 3, (y + 1) * ramp.width * 3), ((top + y) * width + barLeft) * 3);
  drawText(out, caption, Math.max(0, Math.floor((width - textWidth(caption, s)) / 2)), top + 10 * s, s, INK);
  return out;
}
