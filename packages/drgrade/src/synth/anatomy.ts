import type { Rng } from '../util/rng.ts';

export type Eye = 'L' | 'R';

/** Where things are in one synthetic photograph (pixels). */
export interface Anatomy {
  size: number;
  /** Centre and radius of the visible fundus. */
  cx: number;
  cy: number;
  radius: number;
  eye: Eye;
  disc: { x: number; y: number; r: number };
  fovea: { x: number; y: number };
  /** Lesion and vessel sizes are multiples of this (1 at 256 px), so they scale with the image. */
  unit: number;
}

/**
 * A macula-centred 45° field: the fovea near the centre, the optic disc ~0.55 radii towards the
 * nose — on the right of the picture for a right eye, on the left for a left eye, as fundus
 * photographs are viewed. Disc radius ~0.12 of the fundus radius, as in real photographs. None
 * of this depends on the grade.
 */
export function makeAnatomy(rng: Rng, size: number, eye: Eye, fieldScale: number): Anatomy {
  const radius = size * fieldScale * rng.uniform(0.97, 1.0);
  const cx = size / 2 + rng.uniform(-0.015, 0.015) * size;
  const cy = size / 2 + rng.uniform(-0.015, 0.015) * size;
  const nasal = eye === 'R' ? 1 : -1;
  const fovea = { x: cx - nasal * radius * rng.uniform(0.02, 0.1), y: cy + radius * rng.uniform(-0.04, 0.06) };
  const disc = {
    x: fovea.x + nasal * radius * rng.uniform(0.58, 0.66),
    y: fovea.y - radius * rng.uniform(0.02, 0.1),
    r: radius * rng.uniform(0.12, 0.145),
  };
  return { size, cx, cy, radius, eye, disc, fovea, unit: size / 256 };
}

/** A uniformly random point in the fundus within `maxFraction` of the radius. */
export function randomPointInFundus(rng: Rng, a: Anatomy, maxFraction = 0.88): { x: number; y: number } {
  const r = a.radius * maxFraction * Math.sqrt(rng.next());
  const t = rng.uniform(0, 2 * Math.PI);
  return { x: a.cx + r * Math.cos(t), y: a.cy + r * Math.sin(t) };
}

export function insideFundus(a: Anatomy, x: number, y: number, fraction = 1): boolean {
  return Math.hypot(x - a.cx, y - a.cy) < a.radius * fraction;
}
