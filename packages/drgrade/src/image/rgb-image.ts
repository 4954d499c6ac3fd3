/**
 * An 8-bit RGB image: `data` holds width·height·3 bytes, row by row, channels interleaved
 * (R, G, B). Every preprocessing and augmentation function takes and returns this type and never
 * mutates its input, so steps compose freely and run the same on the main thread and in workers.
 */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A new image filled with one grey level (or an RGB triple). */
export function createImage(width: number, height: number, fill: number | readonly [number, number, number] = 0): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  const data = new Uint8Array(width * height * 3);
  if (typeof fill === 'number') {
    if (fill !== 0) data.fill(fill);
  } else {
    for (let i = 0; i < data.length; i += 3) {
      data[i] = fill[0];
      data[i + 1] = fill[1];
      data[i + 2] = fill[2];
    }
  }
  return { width, height, data };
}

/** Rounds and clamps to 0..255 (half rounds up, as OpenCV's saturate_cast does for these sums). */
export function toByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}

/**
 * Luma as OpenCV's RGB2GRAY computes it for 8-bit images (fixed point, 14 fractional bits), so a
 * threshold on it selects the same pixels as `cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) > t`.
 */
export function grayAt(data: Uint8Array, offset: number): number {
  return ((data[offset] as number) * 4899 + (data[offset + 1] as number) * 9617 + (data[offset + 2] as number) * 1868 + 8192) >> 14;
}

/** A rectangular region copied out of an image (clipped to its bounds by the caller). */
export function cropImage(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  if (x < 0 || y < 0 || width < 1 || height < 1 || x + width > image.width || y + height > image.height) {
    throw new RangeError(`crop ${width}x${height}+${x}+${y} is outside the ${image.width}x${image.height} image`);
  }
  const out = new Uint8Array(width * height * 3);
  const rowBytes = width * 3;
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * image.width + x) * 3;
    out.set(image.data.subarray(from, from + rowBytes), row * rowBytes);
  }
  return { width, height, data: out };
}

/** The image centred on a square canvas of `fill` (keeps the fundus round when resized). */
export function padToSquare(image: RgbImage, fill = 0): RgbImage {
  const side = Math.max(image.width, image.height);
  if (side === image.width && side === image.height) return image;
  const out = createImage(side, side, fill);
  const left = Math.floor((side - image.width) / 2);
  const top = Math.floor((side - image.height) / 2);
  const rowBytes = image.width * 3;
  for (let row = 0; row < image.height; row++) {
    const from = row * rowBytes;
    out.data.set(image.data.subarray(from, from + rowBytes), ((top + row) * side + left) * 3);
  }
  return out;
}
