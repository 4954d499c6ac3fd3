import pngjs from 'pngjs';
import { ImageDecodeError, errorMessage } from '../util/errors.ts';
import { decodeJpeg, finishDecoding, flattenRgba, probeForDecoding, type DecodeOptions } from './decode-portable.ts';
import type { RgbImage } from './rgb-image.ts';

export { DEFAULT_MAX_PIXELS, type DecodeOptions } from './decode-portable.ts';

/**
 * Decodes a JPEG or PNG file to 8-bit RGB. Grayscale becomes R=G=B; 16-bit PNG samples are
 * rounded to 8 bits; alpha is composited over black (the background of a fundus photograph);
 * CMYK/YCCK JPEGs are converted by jpeg-js. Throws ImageDecodeError with the reason.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): RgbImage {
  const info = probeForDecoding(bytes, options);
  return finishDecoding(info.format === 'jpeg' ? decodeJpeg(bytes, options) : decodePng(bytes), info, options);
}

function decodePng(bytes: Uint8Array): RgbImage {
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = pngjs.PNG.sync.read(bytes);
  } catch (error) {
    throw new ImageDecodeError('corrupt', `PNG data is damaged: ${errorMessage(error)}`);
  }
  return flattenRgba(decoded.data, decoded.width, decoded.height);
}
