import { ImageDecodeError } from '../util/errors.ts';

/** What a file's headers say, read without decoding the pixels. */
export interface ImageInfo {
  format: 'jpeg' | 'png';
  /** Stored size, before any EXIF rotation. */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent); 5..8 swap width and height when applied. */
  orientation: number;
  /** Bytes of compressed pixel data: a JPEG's from its first scan to the end, a PNG's IDAT chunks. */
  dataBytes: number;
}

/**
 * Pixels a header may declare per byte of compressed pixel data, above FREE_PIXELS. The densest
 * real photograph of realdr-dev and fundus-sample (JPEG quality 90, 768x514, 45.5 kB) has 8.7
 * pixels per byte; PNG photographs have under 2. 100 leaves an 11x margin, while a 10 kB file
 * claiming 7900x7900 (6200 per byte) or a blank 64 MP PNG (about 340 per byte, the most deflate
 * can reach for RGB) is refused before any pixel memory is allocated: decoding cost stays bounded
 * by the size of the data, not by what a header says.
 */
export const MAX_PIXELS_PER_BYTE = 100;

/** Images this small decode cheaply (about 40 MB) whatever their compression: never refused for density. */
export const FREE_PIXELS = 4_000_000;

/** Refuses a header that declares more than `maxPixels`, or more pixels than its data can hold. Throws ImageDecodeError('too-large'). */
export function checkPixelBudget(info: ImageInfo, maxPixels: number): void {
  const pixels = info.width * info.height;
  const mp = (pixels / 1e6).toFixed(1);
  if (pixels > maxPixels) {
    throw new ImageDecodeError('too-large', `image is ${info.width}x${info.height} (${mp} MP), over the limit of ${(maxPixels / 1e6).toFixed(1)} MP`);
  }
  if (pixels > FREE_PIXELS && pixels > info.dataBytes * MAX_PIXELS_PER_BYTE) {
    throw new ImageDecodeError('too-large', `the header claims ${info.width}x${info.height} (${mp} MP) but the file holds only ${(info.dataBytes / 1024).toFixed(1)} kB of image data: ` +
      `more pixels than the file can hold (a photograph needs at least 1 byte per ${MAX_PIXELS_PER_BYTE} pixels); the file is damaged or a decompression bomb`);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads size and orientation from the headers and checks the file's structure: a JPEG must
 * reach its end-of-image marker, a PNG must have intact chunks (lengths, CRCs) up to IEND. This
 * finds truncated and corrupt files cheaply, without decoding, which matters for inspecting
 * tens of thousands of photographs. `fileSize` is the size of the whole file when `bytes` holds
 * only a JPEG's head and tail. Throws ImageDecodeError.
 */
export function probeImage(bytes: Uint8Array, fileSize = bytes.length): ImageInfo {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return probeJpeg(bytes, fileSize);
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return probePng(bytes);
  if (bytes.length === 0) throw new ImageDecodeError('truncated', 'the file is empty');
  throw new ImageDecodeError('corrupt', 'not a JPEG or PNG file (unknown signature)');
}

function u16be(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

function u32be(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}

function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function probeJpeg(b: Uint8Array, fileSize: number): ImageInfo {
  let pos = 2;
  let width = 0;
  let height = 0;
  let orientation = 1;
  let scanStart = -1;
  while (pos < b.length) {
    if (b[pos] !== 0xff) throw new ImageDecodeError('corrupt', `JPEG marker expected at byte ${pos}`);
    while (pos < b.length && b[pos] === 0xff) pos++;
    if (pos >= b.length) break;
    const marker = b[pos] as number;
    pos++;
    if (marker === 0xd9) throw new ImageDecodeError('corrupt', 'JPEG ends before any image data');
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (pos + 2 > b.length) break;
    const length = u16be(b, pos);
    if (length < 2) throw new ImageDecodeError('corrupt', `JPEG segment with length ${length} at byte ${pos}`);
    if (pos + length > b.length) break;
    if (isStartOfFrame(marker)) {
      if (length < 8) throw new ImageDecodeError('corrupt', 'JPEG frame header too short');
      height = u16be(b, pos + 3);
      width = u16be(b, pos + 5);
      if (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2) {
        throw new ImageDecodeError('unsupported', `JPEG coding process 0x${marker.toString(16)} (lossless/arithmetic) is not supported`);
      }
    } else if (marker === 0xe1 && orientation === 1) {
      orientation = exifOrientation(b.subarray(pos + 2, pos + length));
    } else if (marker === 0xda) {
      scanStart = pos + length;
      break;
    }
    pos += length;
  }
  if (scanStart < 0) throw new ImageDecodeError('truncated', 'JPEG ends inside its headers (no image data)');
  if (width === 0 || height === 0) throw new ImageDecodeError('corrupt', 'JPEG has no frame header with a valid size');
  if (!hasEndOfImage(b, scanStart)) throw new ImageDecodeError('truncated', 'JPEG is truncated (no end-of-image marker)');
  return { format: 'jpeg', width, height, orientation, dataBytes: fileSize - scanStart };
}

/**
 * Inside entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so FF D9 after
 * the first scan is the end-of-image marker. Some cameras append data after it (thumbnails,
 * maker notes), so the marker is looked for near the end, not only in the last two bytes.
 */
function hasEndOfImage(b: Uint8Array, from: number): boolean {
  const start = Math.max(from, b.length - 65536);
  for (let i = b.length - 2; i >= start; i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  }
  return false;
}

/** Orientation (tag 0x0112 of IFD0) from an APP1 payload; 1 if there is none or it is malformed. */
export function exifOrientation(app1: Uint8Array): number {
  const header = [0x45, 0x78, 0x69, 0x66, 0, 0];
  if (app1.length < 14 || !header.every((v, i) => app1[i] === v)) return 1;
  const tiff = app1.subarray(6);
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d;
  if (!little && !big) return 1;
  const u16 = (at: number): number =>
    little ? (tiff[at] as number) | ((tiff[at + 1] as number) << 8) : u16be(tiff, at);
  const u32 = (at: number): number =>
    little ? ((tiff[at] as number) | ((tiff[at + 1] as number) << 8) | ((tiff[at + 2] as number) << 16) | ((tiff[at + 3] as number) << 24)) >>> 0 : u32be(tiff, at);
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(b: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = (CRC_TABLE[(c ^ (b[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function probePng(b: Uint8Array): ImageInfo {
  let pos = 8;
  let width = 0;
  let height = 0;
  let first = true;
  let dataBytes = 0;
  while (true) {
    if (pos + 12 > b.length) throw new ImageDecodeError('truncated', 'PNG is truncated (no IEND chunk)');
    const length = u32be(b, pos);
    const type = String.fromCharCode(b[pos + 4] as number, b[pos + 5] as number, b[pos + 6] as number, b[pos + 7] as number);
    const end = pos + 8 + length;
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) throw new ImageDecodeError('corrupt', `PNG chunk at byte ${pos} is malformed`);
    if (end + 4 > b.length) throw new ImageDecodeError('truncated', `PNG is truncated inside its ${type} chunk`);
    if (crc32(b, pos + 4, end) !== u32be(b, end)) throw new ImageDecodeError('corrupt', `PNG ${type} chunk at byte ${pos} fails its CRC check`);
    if (first) {
      if (type !== 'IHDR' || length !== 13) throw new ImageDecodeError('corrupt', 'PNG does not start with an IHDR chunk');
      width = u32be(b, pos + 8);
      height = u32be(b, pos + 12);
      if (width === 0 || height === 0) throw new ImageDecodeError('corrupt', `PNG has an invalid size ${width}x${height}`);
      first = false;
    }
    if (type === 'IDAT') dataBytes += length;
    if (type === 'IEND') return { format: 'png', width, height, orientation: 1, dataBytes };
    pos = end + 4;
  }
}
