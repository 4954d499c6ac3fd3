import type { RgbImage } from '../image/rgb-image.ts';
import type { Layer } from './layer.ts';

export type Rgb = readonly [number, number, number];

/** A float RGB picture (0..1 per channel) that layers are composited onto. */
export class Canvas {
  readonly data: Float32Array;

  constructor(readonly size: number) {
    this.data = new Float32Array(size * size * 3);
  }

  /** Darkens towards `tint` times the picture (blood absorbs; the background shows through). */
  multiply(layer: Layer, tint: Rgb): void {
    this.composite(layer, (o, a) => {
      for (let c = 0; c < 3; c++) this.data[o + c] = (this.data[o + c] as number) * (1 - a + a * (tint[c] as number));
    });
  }

  /** Paints `color` with the layer's coverage as opacity (bright deposits, the optic disc). */
  paint(layer: Layer, color: Rgb): void {
    this.composite(layer, (o, a) => {
      for (let c = 0; c < 3; c++) this.data[o + c] = (this.data[o + c] as number) * (1 - a) + a * (color[c] as number);
    });
  }

  /** Calls `blend(offset, alpha)` for each covered pixel inside the layer's bounding box. */
  private composite(layer: Layer, blend: (offset: number, alpha: number) => void): void {
    if (layer.empty) return;
    const cov = layer.coverage;
    for (let y = layer.minY; y <= layer.maxY; y++) {
      for (let x = layer.minX; x <= layer.maxX; x++) {
        const a = cov[y * this.size + x] as number;
        if (a !== 0) blend((y * this.size + x) * 3, a);
      }
    }
  }

  /**
   * Gaussian blur in place (separable, edges clamped): the optics of a fundus camera never
   * render a lesion or vessel edge as sharply as the rasteriser does.
   */
  blur(sigma: number): void {
    const n = this.size;
    const half = Math.max(1, Math.ceil(sigma * 3));
    const kernel = Array.from({ length: 2 * half + 1 }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
    const sum = kernel.reduce((a, b) => a + b, 0);
    const k = kernel.map((v) => v / sum);
    const temp = new Float32Array(this.data.length);
    const pass = (src: Float32Array, dst: Float32Array, horizontal: boolean): void => {
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          let r = 0;
          let g = 0;
          let b = 0;
          for (let t = -half; t <= half; t++) {
            const xx = horizontal ? Math.min(n - 1, Math.max(0, x + t)) : x;
            const yy = horizontal ? y : Math.min(n - 1, Math.max(0, y + t));
            const o = (yy * n + xx) * 3;
            const w = k[t + half] as number;
            r += (src[o] as number) * w;
            g += (src[o + 1] as number) * w;
            b += (src[o + 2] as number) * w;
          }
          const o = (y * n + x) * 3;
          dst[o] = r;
          dst[o + 1] = g;
          dst[o + 2] = b;
        }
      }
    };
    pass(this.data, temp, true);
    pass(temp, this.data, false);
  }

  /** 8-bit image, values clamped. */
  toImage(): RgbImage {
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = (this.data[i] as number) * 255;
      out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
    return { width: this.size, height: this.size, data: out };
  }
}
