import { join } from 'node:path';
import type { Grade } from '../data/types.ts';
import { IDRID_PATHS } from '../data/readers/idrid.ts';
import { encodeJpeg } from '../image/encode.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { mixSeed, Rng } from '../util/rng.ts';
import type { Eye } from './anatomy.ts';
import { jitterCamera, randomCamera, type Camera } from './camera.ts';
import { patientGrades } from './grade-plan.ts';
import { renderFundus, type FundusSpec } from './render.ts';

export interface SynthImage {
  name: string;
  patient: string;
  spec: FundusSpec;
}

/**
 * The images of a synthetic data set of n photographs: patients with a left and a right eye
 * (`PatientNNN_L`, `PatientNNN_R`; an odd n leaves the last patient one eye), grades per
 * patientGrades, one camera per patient. Each image has its own seed, so any subset can be
 * rendered on any thread with identical results.
 */
export function planSyntheticDataset(n: number, size: number, seed: number): SynthImage[] {
  const rng = new Rng(mixSeed(seed, 0x5917));
  const patients = Math.ceil(n / 2);
  const digits = Math.max(3, String(patients).length);
  const images: SynthImage[] = [];
  for (let p = 0; p < patients; p++) {
    const patient = `Patient${String(p + 1).padStart(digits, '0')}`;
    const grades = patientGrades(rng);
    const camera: Camera = randomCamera(rng);
    (['L', 'R'] as Eye[]).forEach((eye, k) => {
      if (images.length >= n) return;
      images.push({
        name: `${patient}_${eye}`,
        patient,
        spec: { size, grade: grades[k] as Grade, eye, camera: jitterCamera(camera, rng), seed: mixSeed(seed, p, k) },
      });
    });
  }
  return images;
}

/** IDRiD's macular-oedema risk: 0 no exudates, 1 exudates beyond one disc diameter of the fovea, 2 within. */
export function macularEdemaRisk(exudates: number, foveaDistanceDiscDiameters: number): 0 | 1 | 2 {
  if (exudates === 0) return 0;
  return foveaDistanceDiscDiameters <= 1 ? 2 : 1;
}

/**
 * Renders and writes one image into an IDRiD-layout folder; returns its label row. Shared by
 * the single-thread path and the synth worker.
 */
export function writeSyntheticImage(out: string, image: SynthImage, quality = 92): string {
  const rendered = renderFundus(image.spec);
  writeFileAtomic(join(out, IDRID_PATHS.trainImages, `${image.name}.jpg`), encodeJpeg(rendered.image, quality));
  const dme = macularEdemaRisk(rendered.lesions.exudates, rendered.lesions.exudateFoveaDistance);
  return `${image.name},${image.spec.grade},${dme}`;
}

/** The label CSV, with IDRiD's header (including the trailing space some copies have). */
export function syntheticLabelsCsv(rows: readonly string[]): string {
  return ['Image name,Retinopathy grade,Risk of macular edema ', ...rows].join('\r\n') + '\r\n';
}

export function writeSyntheticLabels(out: string, rows: readonly string[]): void {
  writeFileAtomic(join(out, IDRID_PATHS.trainLabels), syntheticLabelsCsv(rows));
}
