import type { Grade } from '../data/types.ts';
import type { Rng } from '../util/rng.ts';

/**
 * Grade proportions of the synthetic set: none 45 %, mild 10 %, moderate 25 %, severe 12 %,
 * PDR 8 % — the skew of screening data sets (IDRiD 33/5/33/18/12 %, EyePACS 73/7/15/2/2 %).
 */
export const SYNTH_GRADE_WEIGHTS: readonly number[] = [0.45, 0.1, 0.25, 0.12, 0.08];

/**
 * Grades of a patient's two eyes. Diabetic retinopathy is usually symmetric, so the second eye
 * repeats the first with probability 0.6 and is otherwise drawn afresh; each eye's marginal
 * distribution stays SYNTH_GRADE_WEIGHTS.
 */
export function patientGrades(rng: Rng, weights: readonly number[] = SYNTH_GRADE_WEIGHTS): [Grade, Grade] {
  const first = rng.weighted(weights) as Grade;
  const second = rng.chance(0.6) ? first : (rng.weighted(weights) as Grade);
  return rng.chance(0.5) ? [first, second] : [second, first];
}
