import { cropImage, grayAt, type RgbImage } from './rgb-image.ts';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Bounding box of the pixels whose grey level exceeds `threshold` (default 7, as in the common
 * APTOS crop code: `gray > 7`); null when no pixel does (an all-black image).
 */
export function foregroundBox(image: RgbImage, threshold = 7): Box | null {
  const { width: w, height: h, data } = image;
  let minX = w;
  let minY = h;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < h; y++) {
    let rowMin = -1;
    let rowMax = -1;
    for (let x = 0, o = y * w * 3; x < w; x++, o += 3) {
      if (grayAt(data, o) > threshold) {
        if (rowMin < 0) rowMin = x;
        rowMax = x;
      }
    }
    if (rowMin >= 0) {
      if (rowMin < minX) minX = rowMin;
      if (rowMax > maxX) maxX = rowMax;
      if (y < minY) minY = y;
      maxY = y;
    }
  }
  return maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/**
 * Removes the black frame around the fundus: crops to the bounding box of grey > threshold.
 * An image with no such pixel is returned unchanged, so a black or failed photograph does not
 * crash the pipeline.
 */
export function cropBlackBorder(image: RgbImage, threshold = 7): RgbImage {
  const box = foregroundBox(image, threshold);
  if (!box || (box.width === image.width && box.height === image.height)) return image;
  return cropImage(image, box.x, box.y, box.width, box.height);
}
