import type { Grade } from '../data/types.ts';
import { resize } from '../image/resize.ts';
import { createImage, type RgbImage } from '../image/rgb-image.ts';
import { mixSeed, Rng } from '../util/rng.ts';
import { drawText } from '../image/bitmap-font.ts';
import { randomCamera } from './camera.ts';
import { renderFundus } from './render.ts';

/**
 * A sheet of examples: one row per grade (0–4, labelled on the left), `perGrade` images per
 * row, rendered at `renderSize` and shown at `tile` pixels.
 */
export function renderExampleGrid(seed: number, perGrade = 6, tile = 192, renderSize = 256): RgbImage {
  const gap = 4;
  const label = 40;
  const sheet = createImage(label + perGrade * (tile + gap), 5 * (tile + gap) + gap, 24);
  const rng = new Rng(mixSeed(seed, 0x6e1d));
  for (let grade = 0; grade < 5; grade++) {
    const top = gap + grade * (tile + gap);
    drawText(sheet, String(grade), 10, top + tile / 2 - 14, 4, [230, 230, 230]);
    for (let k = 0; k < perGrade; k++) {
      const { image } = renderFundus({ size: renderSize, grade: grade as Grade, eye: k % 2 === 0 ? 'R' : 'L', camera: randomCamera(rng), seed: mixSeed(seed, grade, k) });
      const small = resize(image, tile, tile);
      const left = label + k * (tile + gap);
      for (let y = 0; y < tile; y++) sheet.data.set(small.data.subarray(y * tile * 3, (y + 1) * tile * 3), ((top + y) * sheet.width + left) * 3);
    }
  }
  return sheet;
}
