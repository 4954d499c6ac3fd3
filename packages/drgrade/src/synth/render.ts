import type { Grade } from '../data/types.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { mixSeed, Rng } from '../util/rng.ts';
import { makeAnatomy, type Anatomy, type Eye } from './anatomy.ts';
import type { Camera } from './camera.ts';
import { Canvas } from './canvas.ts';
import { clamp01, Layer } from './layer.ts';
import { drawLesions, type LesionSummary } from './lesions.ts';
import { valueNoise } from './noise.ts';
import { drawVessels, growVessels } from './vessels.ts';

export interface FundusSpec {
  size: number;
  grade: Grade;
  eye: Eye;
  camera: Camera;
  seed: number;
}

export interface RenderedFundus {
  image: RgbImage;
  anatomy: Anatomy;
  lesions: LesionSummary;
}

/**
 * Retina without lesions: orange-red choroidal background with blotchy texture and individual
 * pigmentation, the darker macula with its fovea, the pale optic disc with a brighter cup.
 */
function paintBackground(canvas: Canvas, rng: Rng, a: Anatomy): void {
  const base = [rng.uniform(0.78, 0.92), rng.uniform(0.3, 0.44), rng.uniform(0.1, 0.19)] as const;
  const coarse = valueNoise(rng, a.size, 6);
  const fine = valueNoise(rng, a.size, 40);
  const texture = rng.uniform(0.04, 0.09);
  const maculaSigma = a.radius * rng.uniform(0.15, 0.2);
  const foveaSigma = a.radius * 0.035;
  const maculaDepth = rng.uniform(0.18, 0.3);
  for (let y = 0; y < a.size; y++) {
    for (let x = 0; x < a.size; x++) {
      const i = y * a.size + x;
      const t = 1 + texture * (coarse[i] as number) + 0.5 * texture * (fine[i] as number);
      const d2 = (x - a.fovea.x) ** 2 + (y - a.fovea.y) ** 2;
      const macula = maculaDepth * Math.exp(-d2 / (2 * maculaSigma * maculaSigma)) + 0.2 * Math.exp(-d2 / (2 * foveaSigma * foveaSigma));
      // Macular pigment absorbs green and blue more than red.
      canvas.data[i * 3] = base[0] * t * (1 - 0.6 * macula);
      canvas.data[i * 3 + 1] = base[1] * t * (1 - macula);
      canvas.data[i * 3 + 2] = base[2] * t * (1 - macula);
    }
  }
  const disc = new Layer(a.size);
  disc.disc(a.disc.x, a.disc.y, a.disc.r, 0.85, a.disc.r * 0.3);
  canvas.paint(disc, [rng.uniform(0.95, 1), rng.uniform(0.66, 0.78), rng.uniform(0.38, 0.5)]);
  const cup = new Layer(a.size);
  const cupR = a.disc.r * rng.uniform(0.3, 0.5);
  const towardFovea = Math.sign(a.fovea.x - a.disc.x);
  cup.disc(a.disc.x + towardFovea * a.disc.r * 0.15, a.disc.y, cupR, 0.8, cupR * 0.5);
  canvas.paint(cup, [1, 0.9, 0.72]);
  // Flash hot spot: the centre of the field is brighter than the periphery.
  const hot = new Layer(a.size);
  hot.disc(a.cx + rng.uniform(-0.15, 0.15) * a.radius, a.cy + rng.uniform(-0.15, 0.15) * a.radius, a.radius * 0.5, rng.uniform(0.06, 0.14), a.radius * 0.6);
  canvas.paint(hot, [1, 0.75, 0.45]);
}

/**
 * Camera and optics: exposure, uneven illumination (a tilted light gradient), vignetting to the
 * edge of the field, colour gains and gamma, sensor noise, and the black surround outside the
 * field stop (the circle may be cut at top and bottom by the sensor).
 */
function applyCamera(canvas: Canvas, rng: Rng, a: Anatomy, camera: Camera): void {
  const tilt = rng.uniform(0, 2 * Math.PI);
  const gradient = rng.uniform(0.05, 0.28);
  const gx = Math.cos(tilt) * gradient;
  const gy = Math.sin(tilt) * gradient;
  const edgeSoftness = Math.max(1, a.unit * 1.5);
  // Gamma through a table: a pow per channel and pixel would dominate the rendering time.
  const steps = 1024;
  const gammaTable = Float32Array.from({ length: steps + 2 }, (_, i) => Math.min(1, i / steps) ** camera.gamma);
  // Triangular noise (sum of two uniforms) scaled to unit variance: cheaper than Box–Muller.
  const noiseScale = camera.noise * Math.sqrt(6);
  for (let y = 0; y < a.size; y++) {
    for (let x = 0; x < a.size; x++) {
      const o = (y * a.size + x) * 3;
      const rx = (x - a.cx) / a.radius;
      const ry = (y - a.cy) / a.radius;
      const r = Math.hypot(rx, ry);
      const inside = clamp01((1 - r) * (a.radius / edgeSoftness) + 0.5);
      if (inside === 0) {
        // Outside the field: black with a faint dark-current floor, below the crop threshold.
        for (let c = 0; c < 3; c++) canvas.data[o + c] = rng.next() * 0.008;
        continue;
      }
      const light = camera.exposure * (1 + gx * rx + gy * ry) * (1 - camera.vignette * Math.min(1, r) ** camera.vignettePower);
      for (let c = 0; c < 3; c++) {
        const f = clamp01((canvas.data[o + c] as number) * light * (camera.gain[c] as number)) * steps;
        const i = Math.floor(f);
        const lo = gammaTable[i] as number;
        const v = lo + ((gammaTable[i + 1] as number) - lo) * (f - i) + noiseScale * (rng.next() + rng.next() - 1);
        canvas.data[o + c] = inside * v;
      }
    }
  }
}

/** One synthetic colour fundus photograph of the given grade. Deterministic in `spec.seed`. */
export function renderFundus(spec: FundusSpec): RenderedFundus {
  const rng = new Rng(spec.seed);
  const a = makeAnatomy(rng, spec.size, spec.eye, spec.camera.fieldScale);
  const canvas = new Canvas(spec.size);
  paintBackground(canvas, rng, a);

  const vessels = growVessels(rng, a);
  const layers = {
    red: new Layer(a.size),
    exudates: new Layer(a.size),
    cottonWool: new Layer(a.size),
    neovessels: new Layer(a.size),
    preretinal: new Layer(a.size),
  };
  // Lesions draw from their own stream: the same seed gives the same eye, camera and noise at
  // every grade, so an image differs from its grade-0 twin only where lesions are. They are
  // chosen before the vessels are drawn because venous beading changes the veins.
  const lesions = drawLesions(new Rng(mixSeed(spec.seed, 0x1e5)), a, spec.grade, layers, vessels);

  const veins = new Layer(a.size);
  const arteries = new Layer(a.size);
  drawVessels(veins, vessels.filter((v) => v.kind === 'vein'), 0.9, lesions.beaded);
  drawVessels(arteries, vessels.filter((v) => v.kind === 'artery'), 0.85);
  // Deep haemorrhages lie under the vessels; exudates and cotton-wool spots are drawn after.
  canvas.multiply(layers.red, [0.5, 0.17, 0.15]);
  canvas.multiply(veins, [0.64, 0.3, 0.28]);
  canvas.multiply(arteries, [0.86, 0.52, 0.47]);
  canvas.paint(layers.exudates, [0.98, 0.88, 0.45]);
  canvas.paint(layers.cottonWool, [0.95, 0.88, 0.78]);
  canvas.multiply(layers.neovessels, [0.6, 0.22, 0.2]);
  canvas.multiply(layers.preretinal, [0.4, 0.1, 0.08]);
  canvas.blur(0.55 * a.unit * spec.camera.focus);
  applyCamera(canvas, rng, a, spec.camera);
  const { beaded: _beaded, ...summary } = lesions;
  return { image: canvas.toImage(), anatomy: a, lesions: summary };
}
