import type { Rng } from '../util/rng.ts';

/**
 * What differs between fundus cameras and sessions: colour balance, gamma, exposure, how much
 * of the field the circle fills (some cameras cut it at top and bottom, as IDRiD's do),
 * vignetting. Drawn per patient and jittered per image, independently of the grade, so colour
 * or framing can never reveal it.
 */
export interface Camera {
  gain: [number, number, number];
  gamma: number;
  exposure: number;
  fieldScale: number;
  vignette: number;
  vignettePower: number;
  noise: number;
  /** Optical blur relative to a sharp camera (1). */
  focus: number;
}

const PROFILES: readonly Omit<Camera, 'exposure' | 'vignette' | 'vignettePower' | 'noise' | 'focus'>[] = [
  { gain: [1.0, 1.0, 1.0], gamma: 1.0, fieldScale: 0.47 },
  { gain: [0.93, 1.08, 1.3], gamma: 0.92, fieldScale: 0.49 },
  { gain: [1.06, 0.86, 0.78], gamma: 1.08, fieldScale: 0.52 },
  { gain: [0.96, 1.0, 1.18], gamma: 1.0, fieldScale: 0.45 },
];

export function randomCamera(rng: Rng): Camera {
  const profile = rng.pick(PROFILES);
  return {
    gain: profile.gain.map((g) => g * rng.uniform(0.95, 1.05)) as [number, number, number],
    gamma: profile.gamma * rng.uniform(0.95, 1.05),
    exposure: rng.uniform(0.8, 1.15),
    fieldScale: profile.fieldScale,
    vignette: rng.uniform(0.35, 0.6),
    vignettePower: rng.uniform(2.2, 3.5),
    noise: rng.uniform(0.004, 0.012),
    focus: rng.uniform(0.8, 1.5),
  };
}

/** The same camera on another day: small exposure and colour drift. */
export function jitterCamera(camera: Camera, rng: Rng): Camera {
  return {
    ...camera,
    gain: camera.gain.map((g) => g * rng.uniform(0.97, 1.03)) as [number, number, number],
    exposure: camera.exposure * rng.uniform(0.92, 1.08),
  };
}
