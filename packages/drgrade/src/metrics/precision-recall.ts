import { confusionMatrix } from './confusion.ts';

export interface ClassPrecisionRecall {
  /** Of the images predicted as this grade, the fraction that have it; NaN if the grade is never predicted. */
  precision: number;
  /** Of the images of this grade, the fraction predicted as it; NaN if no image has the grade. */
  recall: number;
}

/**
 * Per-class precision and recall over the fixed labels 0..numClasses-1, as scikit-learn's
 * precision_recall_fscore_support(labels=range(numClasses), average=None). A 0/0 is NaN, as
 * scikit-learn ≥ 1.3 gives with zero_division=np.nan, not its default 0: a grade never predicted
 * must not read as a grade predicted wrongly every time.
 */
export function perClassPrecisionRecall(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: { numClasses?: number } = {}): ClassPrecisionRecall[] {
  const m = confusionMatrix(yTrue, yPred, options);
  return m.map((row, c) => {
    const predicted = m.reduce((s, r) => s + (r[c] as number), 0);
    const actual = row.reduce((a, b) => a + b, 0);
    const hit = row[c] as number;
    return { precision: predicted ? hit / predicted : Number.NaN, recall: actual ? hit / actual : Number.NaN };
  });
}
