// Fixed operating points on a ROC curve, as DR screening studies report them next to the AUC:
// the specificity a grader keeps when its threshold is lowered until it finds a given share of
// referable eyes, and the sensitivity it has at a given specificity. These read the curve; they
// choose no threshold for the model, whose own operating point stays "predicted grade ≥ 2".
import { checkScores, descending } from './roc.ts';

export interface OperatingTarget {
  /** Fix the sensitivity (lowest specificity cost to reach it) or the specificity. */
  fix: 'sensitivity' | 'specificity';
  /** The least share to reach, in (0, 1]. */
  at: number;
}

/**
 * The British Diabetic Association's standard, which UK screening programmes use, asks a
 * referral test for at least 80 % sensitivity and 95 % specificity; 90 % sensitivity is the
 * high-sensitivity point many DR papers add.
 */
export const SCREENING_TARGETS: readonly OperatingTarget[] = [
  { fix: 'sensitivity', at: 0.8 },
  { fix: 'sensitivity', at: 0.9 },
  { fix: 'specificity', at: 0.95 },
];

export interface OperatingPoint extends OperatingTarget {
  /**
   * Positive when the score is ≥ threshold. Infinity when only calling nothing positive meets a
   * specificity target; NaN (with NaN rates) without both positives and negatives.
   */
  threshold: number;
  sensitivity: number;
  specificity: number;
}

/**
 * For each target, the best point of the full ROC curve (every distinct score a threshold, and
 * "nothing positive") that meets it: for a sensitivity target the highest specificity, then the
 * highest sensitivity; for a specificity target the highest sensitivity, then the highest
 * specificity. Rates are counts divided once, so a target such as 0.9 is met exactly at 9 of 10.
 */
export function operatingPoints(positive: ArrayLike<boolean>, score: ArrayLike<number>, targets: readonly OperatingTarget[] = SCREENING_TARGETS): OperatingPoint[] {
  checkScores(positive, score);
  for (const t of targets) if (!(t.at > 0 && t.at <= 1)) throw new RangeError(`operating point target ${t.fix} ${t.at} is not in (0, 1]`);
  const n = score.length;
  const order = descending(score);
  let P = 0;
  for (let i = 0; i < n; i++) if (positive[i]) P++;
  const N = n - P;
  if (P === 0 || N === 0) return targets.map((t) => ({ ...t, threshold: Number.NaN, sensitivity: Number.NaN, specificity: Number.NaN }));
  // The curve from threshold Infinity down, one point per distinct score: tp and fp never decrease.
  const points = [{ threshold: Infinity, tp: 0, fp: 0 }];
  for (let k = 0, tp = 0; k < n; k++) {
    const i = order[k]!;
    if (positive[i]) tp++;
    const next = order[k + 1];
    if (next === undefined || score[next] !== score[i]) points.push({ threshold: score[i] as number, tp, fp: k + 1 - tp });
  }
  const sensitivity = (p: { tp: number }) => p.tp / P;
  const specificity = (p: { fp: number }) => (N - p.fp) / N;
  const bestAt = (t: OperatingTarget) => {
    if (t.fix === 'sensitivity') {
      // The first point that reaches the target has the fewest false positives; later points
      // with as few add only true positives.
      let j = points.findIndex((p) => sensitivity(p) >= t.at);
      while (j + 1 < points.length && points[j + 1]!.fp === points[j]!.fp) j++;
      return points[j]!;
    }
    // The last point within the target has the most true positives; the first point with as
    // many has the fewest false positives.
    let last = 0;
    while (last + 1 < points.length && specificity(points[last + 1]!) >= t.at) last++;
    return points.find((p) => p.tp === points[last]!.tp)!;
  };
  return targets.map((t) => {
    const best = bestAt(t);
    return { ...t, threshold: best.threshold, sensitivity: sensitivity(best), specificity: specificity(best) };
  });
}
