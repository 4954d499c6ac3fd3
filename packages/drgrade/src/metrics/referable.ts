// Referable diabetic retinopathy: moderate NPDR or worse (grade ≥ 2), the threshold at which
// screening programmes refer a patient to an ophthalmologist and DR papers report AUC,
// sensitivity and specificity.
import { delongAucInterval, wilsonInterval, type Interval } from './intervals.ts';
import { operatingPoints, type OperatingPoint } from './operating-points.ts';
import { rocAuc, rocCurve, type RocCurve } from './roc.ts';

export const REFERABLE_GRADE = 2;

/** P(grade ≥ 2) from the probabilities of grades 0..C-1: p2 + p3 + … added in grade order. */
export function referableProbability(probabilities: ArrayLike<number>): number {
  let p = 0;
  for (let g = REFERABLE_GRADE; g < probabilities.length; g++) p += probabilities[g] as number;
  return p;
}

export interface ReferableMetrics {
  /** Images with grade ≥ 2 and below. */
  positives: number;
  negatives: number;
  /** ROC AUC of referableProbability; NaN without both referable and non-referable images. */
  auc: number;
  /**
   * At the model's own operating point, referable when its predicted grade is ≥ 2: the share of
   * referable images called referable, and of the others called not referable (NaN if none).
   */
  sensitivity: number;
  specificity: number;
  /** 95 % intervals: Wilson's for sensitivity and specificity, DeLong's for the AUC (intervals.ts); null where undefined. */
  intervals: { auc: Interval | null; sensitivity: Interval | null; specificity: Interval | null };
  roc: RocCurve;
  /** The screening operating points of the same score (SCREENING_TARGETS), read off the curve. */
  operatingPoints: OperatingPoint[];
}

/**
 * Over the images `indices` (a bootstrap resample may repeat one): referable images and those of
 * them called referable (predicted grade ≥ 2), other images and those called not referable.
 */
export function referableCounts(grades: ArrayLike<number>, predicted: ArrayLike<number>, indices: readonly number[]): { positives: number; tp: number; negatives: number; tn: number } {
  let tp = 0, tn = 0, positives = 0;
  for (const i of indices) {
    const called = (predicted[i] as number) >= REFERABLE_GRADE;
    if ((grades[i] as number) >= REFERABLE_GRADE) { positives++; if (called) tp++; } else if (!called) tn++;
  }
  return { positives, tp, negatives: indices.length - positives, tn };
}

export function referableMetrics(grades: ArrayLike<number>, predicted: ArrayLike<number>, probabilities: ArrayLike<ArrayLike<number>>): ReferableMetrics {
  const n = grades.length;
  if (predicted.length !== n || probabilities.length !== n) throw new RangeError(`${n} grades, ${predicted.length} predictions and ${probabilities.length} probability rows`);
  const truth = Array.from({ length: n }, (_, i) => (grades[i] as number) >= REFERABLE_GRADE);
  const score = Array.from({ length: n }, (_, i) => referableProbability(probabilities[i]!));
  const { tp, tn, positives, negatives } = referableCounts(grades, predicted, Array.from({ length: n }, (_, i) => i));
  return {
    positives, negatives,
    auc: rocAuc(truth, score),
    sensitivity: positives ? tp / positives : Number.NaN,
    specificity: negatives ? tn / negatives : Number.NaN,
    intervals: { auc: delongAucInterval(truth, score), sensitivity: wilsonInterval(tp, positives), specificity: wilsonInterval(tn, negatives) },
    roc: rocCurve(truth, score),
    operatingPoints: operatingPoints(truth, score),
  };
}
