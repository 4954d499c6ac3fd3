/**
 * A coverage mask (0..1 per pixel) that shapes are drawn into with max(), then composited onto
 * the picture once. Drawing a vessel as many overlapping capsules straight onto the image
 * would darken every joint twice; max-coverage keeps a vessel or a blot one uniform shape.
 */
export class Layer {
  /** Allocated on the first shape: most lesion layers of a healthy eye stay empty. */
  private cov: Float32Array | null = null;
  /** Bounding box of everything drawn (inclusive), so compositing skips untouched rows. */
  minX = Infinity;
  minY = Infinity;
  maxX = -Infinity;
  maxY = -Infinity;

  constructor(readonly size: number) {}

  get coverage(): Float32Array {
    this.cov ??= new Float32Array(this.size * this.size);
    return this.cov;
  }

  get empty(): boolean {
    return this.cov === null;
  }

  private touch(x0: number, y0: number, x1: number, y1: number): Float32Array {
    if (x0 < this.minX) this.minX = x0;
    if (y0 < this.minY) this.minY = y0;
    if (x1 > this.maxX) this.maxX = x1;
    if (y1 > this.maxY) this.maxY = y1;
    return this.coverage;
  }

  private put(cov: Float32Array, x: number, y: number, alpha: number): void {
    const i = y * this.size + x;
    if (alpha > (cov[i] as number)) cov[i] = alpha;
  }

  /**
   * Filled disc with an anti-aliased edge `soft` pixels wide (1 = crisp). `cut`, if given, keeps
   * only the part below the line y = cy + cut·r (a pre-retinal haemorrhage's fluid level).
   */
  disc(cx: number, cy: number, r: number, opacity: number, soft = 1, cut?: number): void {
    const reach = r + soft;
    const x0 = Math.max(0, Math.floor(cx - reach));
    const x1 = Math.min(this.size - 1, Math.ceil(cx + reach));
    const y0 = Math.max(0, Math.floor(cy - reach));
    const y1 = Math.min(this.size - 1, Math.ceil(cy + reach));
    if (x0 > x1 || y0 > y1) return;
    const cov = this.touch(x0, y0, x1, y1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x - cx, y - cy);
        let a = clamp01((r - d) / soft + 0.5);
        if (cut !== undefined) a *= clamp01(y - (cy + cut * r) + 0.5);
        if (a > 0) this.put(cov, x, y, a * opacity);
      }
    }
  }

  /** A segment with round caps whose radius goes linearly from r0 to r1. */
  capsule(xa: number, ya: number, xb: number, yb: number, r0: number, r1: number, opacity: number): void {
    const reach = Math.max(r0, r1) + 1;
    const x0 = Math.max(0, Math.floor(Math.min(xa, xb) - reach));
    const x1 = Math.min(this.size - 1, Math.ceil(Math.max(xa, xb) + reach));
    const y0 = Math.max(0, Math.floor(Math.min(ya, yb) - reach));
    const y1 = Math.min(this.size - 1, Math.ceil(Math.max(ya, yb) + reach));
    if (x0 > x1 || y0 > y1) return;
    const cov = this.touch(x0, y0, x1, y1);
    const dx = xb - xa;
    const dy = yb - ya;
    const len2 = dx * dx + dy * dy || 1e-9;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const t = Math.max(0, Math.min(1, ((x - xa) * dx + (y - ya) * dy) / len2));
        const d = Math.hypot(x - (xa + t * dx), y - (ya + t * dy));
        const r = r0 + (r1 - r0) * t;
        // Vessels thinner than a pixel fade in opacity instead of vanishing.
        const a = r < 0.5 ? clamp01(0.5 - d + r) * (2 * r) : clamp01(r - d + 0.5);
        if (a > 0) this.put(cov, x, y, a * opacity);
      }
    }
  }
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
