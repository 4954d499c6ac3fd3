// The ROC curve and its area for a binary truth and a score (higher = more likely positive).

export function checkScores(positive: ArrayLike<boolean>, score: ArrayLike<number>): void {
  if (positive.length !== score.length) throw new RangeError(`${positive.length} labels but ${score.length} scores`);
  for (let i = 0; i < score.length; i++) if (!Number.isFinite(score[i])) throw new RangeError(`score[${i}] = ${score[i]} is not a finite number`);
}

/** Indices of the scores from highest to lowest. */
export function descending(score: ArrayLike<number>): number[] {
  return Array.from({ length: score.length }, (_, i) => i).sort((a, b) => (score[b] as number) - (score[a] as number));
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** The curve's point i counts as positive every image with score ≥ thresholds[i]; thresholds[0] = Infinity (no image). */
  thresholds: number[];
}

/**
 * ROC curve as scikit-learn's roc_curve (default drop_intermediate=True): one candidate point per
 * distinct score, tied scores forming a single point, points on a straight segment between
 * their neighbours dropped, and (0, 0) at threshold Infinity prepended. Without positives (or
 * negatives) tpr (fpr) is NaN throughout, where scikit-learn warns and does the same.
 */
export function rocCurve(positive: ArrayLike<boolean>, score: ArrayLike<number>): RocCurve {
  checkScores(positive, score);
  const order = descending(score);
  const tps: number[] = [], fps: number[] = [], thr: number[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (positive[i]) tp++;
    const next = order[k + 1];
    if (next === undefined || score[next] !== score[i]) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thr.push(score[i] as number);
    }
  }
  // A point is kept where the curve bends (a non-zero second difference), and at both ends.
  const keep = tps.map((_, j) => j === 0 || j === tps.length - 1 || tps.length <= 2 ||
    fps[j - 1]! - 2 * fps[j]! + fps[j + 1]! !== 0 || tps[j - 1]! - 2 * tps[j]! + tps[j + 1]! !== 0);
  const P = tp, N = order.length - tp;
  const pick = <T>(xs: T[]) => xs.filter((_, j) => keep[j]);
  return {
    fpr: [0, ...pick(fps)].map((v) => v / N),
    tpr: [0, ...pick(tps)].map((v) => v / P),
    thresholds: [Infinity, ...pick(thr)],
  };
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, a tie counting one half (equal to the trapezoidal area of rocCurve, which is how
 * scikit-learn's roc_auc_score treats ties). Counted in integers and divided once. NaN without
 * both positives and negatives, where the area is undefined (scikit-learn raises).
 */
export function rocAuc(positive: ArrayLike<boolean>, score: ArrayLike<number>): number {
  checkScores(positive, score);
  const order = descending(score).reverse();
  let negativesBelow = 0, pairs = 0, P = 0;
  for (let k = 0; k < order.length;) {
    let pos = 0, neg = 0;
    const s = score[order[k]!];
    for (; k < order.length && score[order[k]!] === s; k++) positive[order[k]!] ? pos++ : neg++;
    pairs += pos * (2 * negativesBelow + neg);
    negativesBelow += neg;
    P += pos;
  }
  const N = negativesBelow;
  return P === 0 || N === 0 ? Number.NaN : pairs / (2 * P * N);
}
