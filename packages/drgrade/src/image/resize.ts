import { toByte, type RgbImage } from './rgb-image.ts';

/** For one axis: for each output index, the source indices and weights that make it. */
interface AxisTable {
  start: Int32Array; // offset into index/weight of each output's taps
  index: Int32Array;
  weight: Float32Array;
}

/**
 * Area averaging for a shrinking axis, as OpenCV's INTER_AREA computes it
 * (computeResizeAreaTab): each output pixel is the mean of the source pixels it covers,
 * fractional edge pixels weighted by their covered fraction. This is the resampling that does
 * not alias when a 4288-pixel photograph becomes 512 pixels.
 */
function areaTable(src: number, dst: number): AxisTable {
  const scale = src / dst;
  const starts: number[] = [];
  const index: number[] = [];
  const weight: number[] = [];
  for (let d = 0; d < dst; d++) {
    starts.push(index.length);
    const f1 = d * scale;
    const f2 = f1 + scale;
    const s1 = Math.ceil(f1);
    const s2 = Math.floor(f2);
    const cell = Math.min(scale, src - f1);
    if (s1 - f1 > 1e-3) {
      index.push(s1 - 1);
      weight.push((s1 - f1) / cell);
    }
    for (let s = s1; s < s2; s++) {
      index.push(s);
      weight.push(1 / cell);
    }
    if (f2 - s2 > 1e-3 && s2 < src) {
      index.push(s2);
      weight.push(Math.min(Math.min(f2 - s2, 1), cell) / cell);
    }
  }
  starts.push(index.length);
  return { start: Int32Array.from(starts), index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/**
 * Bilinear interpolation for an enlarging (or equal) axis with OpenCV's INTER_LINEAR pixel
 * centres: source x = (d + 0.5)·scale − 0.5, clamped at the edges.
 */
function linearTable(src: number, dst: number): AxisTable {
  const scale = src / dst;
  const start = new Int32Array(dst + 1);
  const index = new Int32Array(dst * 2);
  const weight = new Float32Array(dst * 2);
  for (let d = 0; d < dst; d++) {
    let f = (d + 0.5) * scale - 0.5;
    let s = Math.floor(f);
    f -= s;
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= src - 1) {
      s = src - 1;
      f = 0;
    }
    start[d] = d * 2;
    index[d * 2] = s;
    index[d * 2 + 1] = Math.min(s + 1, src - 1);
    weight[d * 2] = 1 - f;
    weight[d * 2 + 1] = f;
  }
  start[dst] = dst * 2;
  return { start, index, weight };
}

function axisTable(src: number, dst: number): AxisTable {
  return dst < src ? areaTable(src, dst) : linearTable(src, dst);
}

/**
 * Resizes to width x height: area averaging on an axis that shrinks (OpenCV INTER_AREA),
 * bilinear on an axis that grows (OpenCV INTER_LINEAR). The two axes are handled separately,
 * so a mixed resize (one axis shrinking, the other growing) uses each rule on its own axis.
 */
export function resize(image: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize: target size must be positive integers, got ${width}x${height}`);
  }
  if (width === image.width && height === image.height) return image;
  const { width: sw, height: sh, data } = image;
  const tx = axisTable(sw, width);
  const ty = axisTable(sh, height);

  const temp = new Float32Array(sh * width * 3);
  for (let y = 0; y < sh; y++) {
    const srcRow = y * sw * 3;
    const dstRow = y * width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = tx.start[x] as number, end = tx.start[x + 1] as number; t < end; t++) {
        const at = srcRow + (tx.index[t] as number) * 3;
        const wt = tx.weight[t] as number;
        r += (data[at] as number) * wt;
        g += (data[at + 1] as number) * wt;
        b += (data[at + 2] as number) * wt;
      }
      const o = dstRow + x * 3;
      temp[o] = r;
      temp[o + 1] = g;
      temp[o + 2] = b;
    }
  }

  const out = new Uint8Array(width * height * 3);
  const stride = width * 3;
  const line = new Float64Array(stride);
  for (let y = 0; y < height; y++) {
    line.fill(0);
    for (let t = ty.start[y] as number, end = ty.start[y + 1] as number; t < end; t++) {
      const src = (ty.index[t] as number) * stride;
      const wt = ty.weight[t] as number;
      for (let i = 0; i < stride; i++) line[i] = (line[i] as number) + (temp[src + i] as number) * wt;
    }
    const o = y * stride;
    for (let i = 0; i < stride; i++) out[o + i] = toByte(line[i] as number);
  }
  return { width, height, data: out };
}
