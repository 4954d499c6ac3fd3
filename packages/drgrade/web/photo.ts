// Decoding a photograph in the browser into the pixels Node's decodeImage gives for the same
// file, so the page and the CLI grade the same input. JPEG goes through the same jpeg-js decoder
// and EXIF handling (the browser's own JPEG decoder rounds differently); PNG, whose Node decoder
// needs zlib, goes through the browser's decoder with colour management and premultiplication
// turned off, which gives pngjs's bytes for 8-bit images.
import { decodeJpeg, finishDecoding, flattenRgba, probeForDecoding } from '../src/image/decode-portable.ts';
import type { RgbImage } from '../src/image/rgb-image.ts';
import { ImageDecodeError, errorMessage } from '../src/util/errors.ts';

async function decodePng(file: Blob): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new ImageDecodeError('corrupt', `PNG data is damaged: ${errorMessage(error)}`);
  }
  const { width, height } = bitmap;
  const context = new OffscreenCanvas(width, height).getContext('2d');
  if (!context) throw new Error('this browser has no 2D canvas to read PNG pixels with');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return flattenRgba(context.getImageData(0, 0, width, height).data, width, height);
}

/** A JPEG or PNG file as upright 8-bit RGB. Throws ImageDecodeError saying what is wrong. */
export async function decodePhoto(file: Blob): Promise<RgbImage> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = probeForDecoding(bytes);
  return finishDecoding(info.format === 'jpeg' ? decodeJpeg(bytes) : await decodePng(file), info);
}
