import type { Rng } from '../util/rng.ts';

/**
 * Smooth random field (value noise): random values on a (cells+1)² grid, interpolated with a
 * smoothstep; values in about −1..1. Gives the choroid its blotchy texture.
 */
export function valueNoise(rng: Rng, size: number, cells: number): Float32Array {
  const g = cells + 1;
  const grid = new Float32Array(g * g);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.uniform(-1, 1);
  const out = new Float32Array(size * size);
  const step = cells / size;
  for (let y = 0; y < size; y++) {
    const fy = y * step;
    const iy = Math.min(Math.floor(fy), cells - 1);
    const ty = smooth(fy - iy);
    for (let x = 0; x < size; x++) {
      const fx = x * step;
      const ix = Math.min(Math.floor(fx), cells - 1);
      const tx = smooth(fx - ix);
      const a = grid[iy * g + ix] as number;
      const b = grid[iy * g + ix + 1] as number;
      const c = grid[(iy + 1) * g + ix] as number;
      const d = grid[(iy + 1) * g + ix + 1] as number;
      out[y * size + x] = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
    }
  }
  return out;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}
