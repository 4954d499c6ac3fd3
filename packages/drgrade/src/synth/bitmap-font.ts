import type { RgbImage } from '../image/rgb-image.ts';

// 5x7 glyphs for the labels of the example grid (no font files or canvas in Node).
const GLYPHS: Record<string, readonly string[]> = {
  '0': ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
};

/** Draws `text` (digits) with its top-left corner at (x, y), each font pixel scale x scale. */
export function drawText(image: RgbImage, text: string, x: number, y: number, scale: number, color: readonly [number, number, number]): void {
  let left = x;
  for (const ch of text) {
    const glyph = GLYPHS[ch];
    if (!glyph) throw new RangeError(`no glyph for "${ch}"`);
    glyph.forEach((row, gy) => {
      for (let gx = 0; gx < row.length; gx++) {
        if (row[gx] !== '1') continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const px = left + gx * scale + dx;
            const py = y + gy * scale + dy;
            if (px < 0 || py < 0 || px >= image.width || py >= image.height) continue;
            image.data.set(color, (py * image.width + px) * 3);
          }
        }
      }
    });
    left += 6 * scale;
  }
}
