import type { Rng } from '../util/rng.ts';
import { insideFundus, type Anatomy } from './anatomy.ts';
import type { Layer } from './layer.ts';

/** A vessel as a polyline with a radius at each point. */
export interface Vessel {
  kind: 'artery' | 'vein';
  points: { x: number; y: number; r: number }[];
  /** Generation: 0 for the trunks leaving the disc. */
  depth: number;
}

interface Tip {
  x: number;
  y: number;
  heading: number;
  r: number;
  kind: 'artery' | 'vein';
  depth: number;
  /** Temporal arcades bend around the macula: +1/−1 is the way they turn, 0 for straight. */
  turn: number;
  length: number;
}

function angleDiff(a: number, b: number): number {
  let d = a - b;
  while (d > Math.PI) d -= 2 * Math.PI;
  while (d < -Math.PI) d += 2 * Math.PI;
  return d;
}

/**
 * Grows the retinal vessel tree from the optic disc: an artery and a vein for each of the four
 * arcades (superior/inferior temporal, which curve around the macula, and the shorter nasal
 * ones), each a noisy path that branches at random, children thinner and straighter, stopping
 * at the edge of the field, at a minimum calibre, or at the foveal avascular zone.
 */
export function growVessels(rng: Rng, a: Anatomy): Vessel[] {
  // +1 when the macula is to the right of the disc (left eye), −1 when to the left.
  const towardTemporal = a.fovea.x > a.disc.x ? 1 : -1;
  const nasal = towardTemporal === 1 ? Math.PI : 0;
  const tips: Tip[] = [];
  const veinR = a.radius * rng.uniform(0.0105, 0.0125);
  for (const side of [-1, 1]) {
    // Image y grows downwards, so side −1 is superior. Temporal trunks leave the disc steeply
    // and turn (turn = −side·towardTemporal) to run around the fovea; nasal ones run straight.
    for (const kind of ['vein', 'artery'] as const) {
      const r = kind === 'vein' ? veinR : veinR * rng.uniform(0.72, 0.8);
      const tilt = rng.uniform(0.25, 0.55);
      tips.push({ x: a.disc.x, y: a.disc.y, heading: side * (Math.PI / 2 - towardTemporal * tilt), r, kind, depth: 0, turn: -side * towardTemporal, length: 0 });
      const spread = rng.uniform(0.45, 0.85) * (nasal === 0 ? 1 : -1);
      tips.push({ x: a.disc.x, y: a.disc.y, heading: nasal + side * spread, r: r * 0.8, kind, depth: 0, turn: 0, length: 0 });
    }
  }
  const vessels: Vessel[] = [];
  const step = a.radius * 0.025;
  const minR = 0.32 * a.unit;
  while (tips.length > 0) {
    const tip = tips.pop() as Tip;
    const vessel: Vessel = { kind: tip.kind, points: [{ x: tip.x, y: tip.y, r: tip.r }], depth: tip.depth };
    let { x, y, heading, r } = tip;
    let length = tip.length;
    let sinceBranch = 0;
    const maxLength = a.radius * (tip.depth === 0 ? 2.2 : rng.uniform(0.25, 0.9) / (1 + 0.3 * tip.depth));
    while (length < maxLength && r > minR) {
      if (tip.turn !== 0) {
        // Arcades: steer towards the tangent of a circle around the fovea whose radius grows.
        const dx = x - a.fovea.x;
        const dy = y - a.fovea.y;
        const tangent = Math.atan2(dy, dx) + tip.turn * Math.PI / 2;
        const wanted = a.radius * (0.42 + 0.25 * (length / a.radius));
        const pull = (Math.hypot(dx, dy) - wanted) / a.radius;
        const target = tangent + tip.turn * pull * 2.2;
        heading += angleDiff(target, heading) * 0.18;
      }
      heading += rng.normal() * (tip.depth === 0 ? 0.06 : 0.12);
      x += Math.cos(heading) * step;
      y += Math.sin(heading) * step;
      length += step;
      sinceBranch += step;
      r *= tip.depth === 0 ? 0.994 : 0.985;
      if (!insideFundus(a, x, y, 1.02)) break;
      if (tip.depth > 0 && Math.hypot(x - a.fovea.x, y - a.fovea.y) < a.radius * 0.1) break;
      vessel.points.push({ x, y, r });
      const pBranch = tip.depth >= 3 ? 0 : tip.depth === 0 ? 0.15 : tip.depth === 1 ? 0.08 : 0.04;
      if (sinceBranch > step * 2 && rng.chance(pBranch) && length > a.disc.r) {
        sinceBranch = 0;
        const childR = r * rng.uniform(0.55, 0.75);
        const side = rng.chance(0.5) ? 1 : -1;
        tips.push({ x, y, heading: heading + side * rng.uniform(0.4, 1.1), r: childR, kind: tip.kind, depth: tip.depth + 1, turn: 0, length: 0 });
        r *= 0.9;
      }
    }
    if (vessel.points.length > 1) vessels.push(vessel);
  }
  return vessels;
}

/**
 * Draws vessels into a layer. `beading` (severe NPDR) makes chosen veins sausage-shaped:
 * their calibre swells and narrows along the length.
 */
export function drawVessels(layer: Layer, vessels: readonly Vessel[], opacity: number, beaded: ReadonlySet<Vessel> = new Set()): void {
  for (const vessel of vessels) {
    const pts = vessel.points;
    let travelled = 0;
    for (let i = 1; i < pts.length; i++) {
      const p = pts[i - 1] as { x: number; y: number; r: number };
      const q = pts[i] as { x: number; y: number; r: number };
      if (!beaded.has(vessel)) {
        layer.capsule(p.x, p.y, q.x, q.y, p.r, q.r, opacity);
        continue;
      }
      const segLength = Math.hypot(q.x - p.x, q.y - p.y);
      const pieces = Math.max(2, Math.ceil(segLength / Math.max(0.5, p.r * 0.5)));
      for (let k = 0; k < pieces; k++) {
        const t0 = k / pieces;
        const t1 = (k + 1) / pieces;
        const s = travelled + segLength * t0;
        const period = Math.max(5, p.r * 7);
        const swell = 1 + 0.9 * Math.max(0, Math.sin((2 * Math.PI * s) / period));
        const x0 = p.x + (q.x - p.x) * t0;
        const y0 = p.y + (q.y - p.y) * t0;
        const x1 = p.x + (q.x - p.x) * t1;
        const y1 = p.y + (q.y - p.y) * t1;
        layer.capsule(x0, y0, x1, y1, p.r * swell, q.r * swell, opacity);
      }
      travelled += segLength;
    }
  }
}
