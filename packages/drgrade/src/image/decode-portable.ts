// The parts of decoding that need no Node module: the checks around the pixels, JPEG through
// jpeg-js (plain JavaScript) and flattening RGBA onto black. decode.ts adds PNG through pngjs,
// which needs Node's zlib; the browser page decodes PNG with the browser's own decoder and shares
// everything here, so both give the same pixels for the same file.
import jpeg from 'jpeg-js';
import { ImageDecodeError, errorMessage } from '../util/errors.ts';
import { applyOrientation } from './orientation.ts';
import { checkPixelBudget, probeImage, type ImageInfo } from './probe.ts';
import type { RgbImage } from './rgb-image.ts';

export interface DecodeOptions {
  /**
   * Largest accepted width·height. A small file can declare an enormous image (decompression
   * bomb); the check runs on the header, before any pixel memory is allocated. Default 64 MP,
   * which admits every fundus camera (IDRiD 4288x2848 is 12 MP).
   */
  maxPixels?: number;
  /** Rotate/flip by the JPEG EXIF orientation tag (default true). */
  applyExifOrientation?: boolean;
}

export const DEFAULT_MAX_PIXELS = 64_000_000;

/** Reads the headers and refuses files over the pixel limit or denser than data can be. Throws ImageDecodeError. */
export function probeForDecoding(bytes: Uint8Array, options: DecodeOptions = {}): ImageInfo {
  const info = probeImage(bytes);
  checkPixelBudget(info, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  return info;
}

/** Checks the decoded size against the header and applies the EXIF orientation. */
export function finishDecoding(image: RgbImage, info: ImageInfo, options: DecodeOptions = {}): RgbImage {
  if (image.width !== info.width || image.height !== info.height) {
    throw new ImageDecodeError('corrupt', `decoded size ${image.width}x${image.height} differs from the header's ${info.width}x${info.height}`);
  }
  return options.applyExifOrientation === false ? image : applyOrientation(image, info.orientation);
}

export function decodeJpeg(bytes: Uint8Array, options: DecodeOptions = {}): RgbImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  try {
    const decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      // Tolerates scans with surplus blocks, as other decoders do; a scan that ends early is
      // already refused by probeImage (no end-of-image marker) instead of padded with grey.
      tolerantDecoding: true,
      maxResolutionInMP: maxPixels / 1e6,
      // Components at full resolution plus the RGB output, with headroom for subsampling tables.
      maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / (1024 * 1024)) + 64,
    });
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  } catch (error) {
    throw new ImageDecodeError('corrupt', `JPEG data is damaged: ${errorMessage(error)}`);
  }
}

/** Non-premultiplied RGBA to RGB, alpha composited over black (the background of a fundus photograph). */
export function flattenRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; o < out.length; i += 4, o += 3) {
    const a = rgba[i + 3] as number;
    if (a === 255) {
      out[o] = rgba[i] as number;
      out[o + 1] = rgba[i + 1] as number;
      out[o + 2] = rgba[i + 2] as number;
    } else {
      out[o] = Math.round(((rgba[i] as number) * a) / 255);
      out[o + 1] = Math.round(((rgba[i + 1] as number) * a) / 255);
      out[o + 2] = Math.round(((rgba[i + 2] as number) * a) / 255);
    }
  }
  return { width, height, data: out };
}
