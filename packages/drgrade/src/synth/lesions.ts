import type { Grade } from '../data/types.ts';
import type { Rng } from '../util/rng.ts';
import { randomPointInFundus, type Anatomy } from './anatomy.ts';
import type { Layer } from './layer.ts';
import type { Vessel } from './vessels.ts';

/** Layers lesions are drawn into, composited by the renderer with their own colours. */
export interface LesionLayers {
  /** Microaneurysms and dot/blot/flame haemorrhages (dark red). */
  red: Layer;
  /** Hard exudates (yellow, sharp). */
  exudates: Layer;
  /** Cotton-wool spots (pale, soft). */
  cottonWool: Layer;
  /** Neovascular tufts (fine red vessel loops). */
  neovessels: Layer;
  /** Pre-retinal haemorrhage (opaque, dark, flat-topped). */
  preretinal: Layer;
}

/** What was drawn, for the macular-oedema label and for tests. */
export interface LesionSummary {
  microaneurysms: number;
  haemorrhages: number;
  haemorrhageQuadrants: number;
  exudates: number;
  /** Smallest distance of an exudate from the fovea, in disc diameters (Infinity if none). */
  exudateFoveaDistance: number;
  cottonWool: number;
  beadedVeins: number;
  neovascular: number;
  preretinal: boolean;
}

/** A point in the fundus away from the optic disc (lesions on the disc would hide in its glare). */
function lesionSite(rng: Rng, a: Anatomy, maxFraction = 0.86): { x: number; y: number } {
  for (let i = 0; i < 20; i++) {
    const p = randomPointInFundus(rng, a, maxFraction);
    if (Math.hypot(p.x - a.disc.x, p.y - a.disc.y) > a.disc.r * 1.5) return p;
  }
  return { x: a.fovea.x, y: a.fovea.y + a.radius * 0.3 };
}

/** A point in the given quadrant (0..3 around the fovea: superior/inferior × left/right). */
function siteInQuadrant(rng: Rng, a: Anatomy, quadrant: number): { x: number; y: number } {
  for (let i = 0; i < 50; i++) {
    const p = lesionSite(rng, a);
    if ((p.y < a.fovea.y ? 0 : 2) + (p.x < a.fovea.x ? 0 : 1) === quadrant) return p;
  }
  return lesionSite(rng, a);
}

function quadrantOf(a: Anatomy, p: { x: number; y: number }): number {
  return (p.y < a.fovea.y ? 0 : 2) + (p.x < a.fovea.x ? 0 : 1);
}

function microaneurysm(rng: Rng, a: Anatomy, layer: Layer): void {
  const p = lesionSite(rng, a, 0.8);
  // Radius ~1.1 px at 128 px input: real ones are smaller, but the grade must stay learnable.
  layer.disc(p.x, p.y, rng.uniform(2.0, 2.8) * a.unit, rng.uniform(0.8, 0.95));
}

/** Dot/blot haemorrhage: a few overlapping round blobs; sometimes a flame along the nerve fibres. */
function haemorrhage(rng: Rng, a: Anatomy, layer: Layer, p: { x: number; y: number }): void {
  const u = a.unit;
  if (rng.chance(0.25)) {
    // Flame: elongated across the line to the disc, the direction of the nerve fibre layer.
    const angle = Math.atan2(p.y - a.disc.y, p.x - a.disc.x);
    const half = rng.uniform(4, 8) * u;
    const dx = Math.cos(angle) * half;
    const dy = Math.sin(angle) * half;
    layer.capsule(p.x - dx, p.y - dy, p.x + dx, p.y + dy, rng.uniform(1.6, 2.4) * u, rng.uniform(1.0, 1.6) * u, rng.uniform(0.7, 0.85));
    return;
  }
  const base = rng.uniform(3.2, 6.5) * u;
  const blobs = rng.intBetween(1, 4);
  const opacity = rng.uniform(0.75, 0.92);
  for (let i = 0; i < blobs; i++) {
    const off = i === 0 ? 0 : base * 0.7;
    const t = rng.uniform(0, 2 * Math.PI);
    layer.disc(p.x + off * Math.cos(t), p.y + off * Math.sin(t), base * (i === 0 ? 1 : rng.uniform(0.5, 0.85)), opacity, 1.5 * u);
  }
}

/** A cluster of hard exudates, often part of a ring (circinate pattern) around leaking vessels. */
function exudateCluster(rng: Rng, a: Anatomy, layer: Layer, near: { x: number; y: number }): void {
  const u = a.unit;
  const n = rng.intBetween(4, 12);
  const ring = rng.chance(0.5);
  const spread = rng.uniform(6, 14) * u;
  const phase = rng.uniform(0, 2 * Math.PI);
  for (let i = 0; i < n; i++) {
    const t = ring ? phase + (i / n) * rng.uniform(3, 5.5) : rng.uniform(0, 2 * Math.PI);
    const d = ring ? spread * rng.uniform(0.85, 1.15) : spread * Math.sqrt(rng.next());
    layer.disc(near.x + d * Math.cos(t), near.y + d * Math.sin(t), rng.uniform(1.6, 3.0) * u, rng.uniform(0.75, 0.95));
  }
}

function cottonWoolSpot(rng: Rng, a: Anatomy, layer: Layer): void {
  // Nerve fibre layer infarcts lie along the arcades, within ~0.6 radii of the disc.
  const t = rng.uniform(0, 2 * Math.PI);
  const d = a.radius * rng.uniform(0.25, 0.6);
  const x = a.disc.x + d * Math.cos(t);
  const y = a.disc.y + d * Math.sin(t);
  const r = rng.uniform(4, 7) * a.unit;
  layer.disc(x, y, r, rng.uniform(0.45, 0.65), r * 0.8);
  layer.disc(x + r * 0.5, y - r * 0.3, r * 0.7, rng.uniform(0.35, 0.5), r * 0.7);
}

/**
 * Neovascular tuft: a net of fine, looping new vessels (on the disc, NVD, or along an arcade,
 * NVE) over a faint red haze so that it stays visible after downsampling.
 */
function neovascularTuft(rng: Rng, a: Anatomy, layer: Layer, centre: { x: number; y: number }): void {
  const u = a.unit;
  const extent = rng.uniform(13, 20) * u;
  layer.disc(centre.x, centre.y, extent * 0.8, 0.35, extent * 0.5);
  const loops = rng.intBetween(12, 20);
  for (let i = 0; i < loops; i++) {
    let x = centre.x + rng.uniform(-0.3, 0.3) * extent;
    let y = centre.y + rng.uniform(-0.3, 0.3) * extent;
    let heading = rng.uniform(0, 2 * Math.PI);
    const curl = rng.uniform(0.35, 0.7) * (rng.chance(0.5) ? 1 : -1);
    const steps = rng.intBetween(6, 12);
    for (let s = 0; s < steps; s++) {
      const nx = x + Math.cos(heading) * extent * 0.16;
      const ny = y + Math.sin(heading) * extent * 0.16;
      if (Math.hypot(nx - centre.x, ny - centre.y) > extent) heading += Math.PI * 0.7;
      layer.capsule(x, y, nx, ny, 0.9 * u, 0.9 * u, 0.8);
      x = nx;
      y = ny;
      heading += curl + rng.normal() * 0.3;
    }
  }
}

/** Boat-shaped pre-retinal haemorrhage: blood pooled in front of the retina, flat fluid level on top. */
function preretinalHaemorrhage(rng: Rng, a: Anatomy, layer: Layer, centre: { x: number; y: number }): void {
  layer.disc(centre.x, centre.y, rng.uniform(12, 20) * a.unit, 0.95, 1.5 * a.unit, rng.uniform(-0.45, -0.1));
}

/** The veins whose calibre beads (severe NPDR): first- and second-generation veins. */
export function pickBeadedVeins(rng: Rng, vessels: readonly Vessel[], count: number): Set<Vessel> {
  const candidates = vessels.filter((v) => v.kind === 'vein' && v.depth <= 1 && v.points.length > 8);
  return new Set(rng.shuffle([...candidates]).slice(0, count));
}

/**
 * Draws the lesions of a grade on the international clinical DR scale:
 *  0 none; 1 mild NPDR: microaneurysms only; 2 moderate: more microaneurysms, dot/blot
 *  haemorrhages, hard exudates, occasionally a cotton-wool spot; 3 severe (4-2-1 rule): many
 *  haemorrhages in all four quadrants, venous beading, cotton-wool spots; 4 PDR: a moderate or
 *  severe picture plus neovascular tufts and/or a pre-retinal haemorrhage.
 * Only lesions depend on the grade; nothing global (colour, brightness, framing) does.
 */
export function drawLesions(rng: Rng, a: Anatomy, grade: Grade, layers: LesionLayers, vessels: readonly Vessel[]): LesionSummary & { beaded: Set<Vessel> } {
  const summary: LesionSummary & { beaded: Set<Vessel> } = {
    microaneurysms: 0, haemorrhages: 0, haemorrhageQuadrants: 0, exudates: 0, exudateFoveaDistance: Infinity,
    cottonWool: 0, beadedVeins: 0, neovascular: 0, preretinal: false, beaded: new Set(),
  };
  if (grade === 0) return summary;
  const background: 2 | 3 = grade === 4 ? (rng.chance(0.5) ? 2 : 3) : grade === 3 ? 3 : 2;
  const severity = grade === 1 ? 1 : background;
  summary.microaneurysms = severity === 1 ? rng.intBetween(4, 10) : severity === 2 ? rng.intBetween(8, 22) : rng.intBetween(14, 30);
  for (let i = 0; i < summary.microaneurysms; i++) microaneurysm(rng, a, layers.red);
  if (severity === 1) return summary;

  const quadrants = new Set<number>();
  if (severity === 2) {
    summary.haemorrhages = rng.intBetween(3, 10);
    for (let i = 0; i < summary.haemorrhages; i++) {
      const p = lesionSite(rng, a);
      quadrants.add(quadrantOf(a, p));
      haemorrhage(rng, a, layers.red, p);
    }
  } else {
    for (let q = 0; q < 4; q++) {
      const n = rng.intBetween(6, 11);
      for (let i = 0; i < n; i++) haemorrhage(rng, a, layers.red, siteInQuadrant(rng, a, q));
      summary.haemorrhages += n;
      quadrants.add(q);
    }
  }
  summary.haemorrhageQuadrants = quadrants.size;

  const clusters = severity === 2 ? rng.intBetween(1, 3) : rng.intBetween(1, 4);
  for (let i = 0; i < clusters; i++) {
    // Exudates gather in the posterior pole, often around the macula.
    const near = rng.chance(0.5)
      ? { x: a.fovea.x + rng.uniform(-0.3, 0.3) * a.radius, y: a.fovea.y + rng.uniform(-0.3, 0.3) * a.radius }
      : lesionSite(rng, a, 0.7);
    exudateCluster(rng, a, layers.exudates, near);
    summary.exudates++;
    const dd = Math.hypot(near.x - a.fovea.x, near.y - a.fovea.y) / (2 * a.disc.r);
    summary.exudateFoveaDistance = Math.min(summary.exudateFoveaDistance, dd);
  }

  summary.cottonWool = severity === 2 ? (rng.chance(0.3) ? 1 : 0) : rng.intBetween(1, 4);
  for (let i = 0; i < summary.cottonWool; i++) cottonWoolSpot(rng, a, layers.cottonWool);

  if (severity === 3) {
    summary.beaded = pickBeadedVeins(rng, vessels, rng.intBetween(2, 3));
    summary.beadedVeins = summary.beaded.size;
  }

  if (grade === 4) {
    const nv = rng.chance(0.8);
    summary.preretinal = !nv || rng.chance(0.35);
    // New vessels and pre-retinal blood sit on the disc or along the main arcades.
    const alongArcade = (): { x: number; y: number } => {
      const trunks = vessels.filter((v) => v.depth === 0 && v.points.length > 8);
      if (trunks.length === 0) return lesionSite(rng, a, 0.6);
      const trunk = rng.pick(trunks);
      return trunk.points[rng.intBetween(6, Math.min(trunk.points.length - 1, 24))] as { x: number; y: number };
    };
    if (nv) {
      summary.neovascular = rng.intBetween(1, 3);
      for (let i = 0; i < summary.neovascular; i++) {
        const onDisc = i === 0 && rng.chance(0.5);
        const centre = onDisc ? { x: a.disc.x + rng.uniform(-0.6, 0.6) * a.disc.r, y: a.disc.y + rng.uniform(-0.6, 0.6) * a.disc.r } : alongArcade();
        neovascularTuft(rng, a, layers.neovessels, centre);
      }
    }
    if (summary.preretinal) preretinalHaemorrhage(rng, a, layers.preretinal, alongArcade());
  }
  return summary;
}
