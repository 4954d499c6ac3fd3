import { confusionMatrix } from './confusion.ts';

/**
 * Quadratic weighted Cohen's kappa over the fixed labels 0..numClasses-1 (default 5 grades):
 * κ = 1 − Σ w·O / Σ w·E with w_ij = (i − j)², O the confusion matrix and
 * E = outer(row sums, column sums) / N. The label set is fixed so that a fold lacking a grade
 * is weighted like every other fold (scikit-learn's cohen_kappa_score(weights='quadratic',
 * labels=[0..4]) gives the same values).
 *
 * Degenerate case: Σ w·E = 0 happens exactly when truth and predictions are all one and the
 * same grade (then Σ w·O = 0 too, 0/0). scikit-learn returns NaN there; this returns 1, because
 * the predictions agree with the truth perfectly. Empty inputs throw a RangeError: no kappa can
 * be computed from no images.
 */
export function quadraticWeightedKappa(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: { numClasses?: number } = {}): number {
  const n = options.numClasses ?? 5;
  if (yTrue.length === 0) throw new RangeError('quadraticWeightedKappa: no labels');
  const observed = confusionMatrix(yTrue, yPred, { numClasses: n });
  const rows = observed.map((row) => row.reduce((a, b) => a + b, 0));
  const cols = Array.from({ length: n }, (_, j) => observed.reduce((a, row) => a + (row[j] as number), 0));
  const total = yTrue.length;
  let wo = 0;
  let we = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = (i - j) * (i - j);
      wo += w * ((observed[i] as number[])[j] as number);
      we += (w * (rows[i] as number) * (cols[j] as number)) / total;
    }
  }
  return we === 0 ? 1 : 1 - wo / we;
}
