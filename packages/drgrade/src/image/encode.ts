import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import type { RgbImage } from './rgb-image.ts';

export type ImageFileFormat = 'png' | 'jpg';

/** Lossless 8-bit RGB PNG. */
export function encodePng(image: RgbImage): Uint8Array {
  return pngjs.PNG.sync.write(
    { width: image.width, height: image.height, data: image.data },
    { colorType: 2, inputColorType: 2, inputHasAlpha: false },
  );
}

/** Baseline JPEG; quality 1..100 (default 92, visually lossless for fundus photographs). */
export function encodeJpeg(image: RgbImage, quality = 92): Uint8Array {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0, o = 0; i < image.data.length; i += 3, o += 4) {
    rgba[o] = image.data[i] as number;
    rgba[o + 1] = image.data[i + 1] as number;
    rgba[o + 2] = image.data[i + 2] as number;
    rgba[o + 3] = 255;
  }
  return jpeg.encode({ width: image.width, height: image.height, data: rgba }, quality).data;
}

export function encodeImage(image: RgbImage, format: ImageFileFormat, quality?: number): Uint8Array {
  return format === 'png' ? encodePng(image) : encodeJpeg(image, quality);
}
