import { checkLabels, confusionMatrix } from './confusion.ts';

/** Fraction of predictions equal to the truth; throws on empty input. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length === 0) throw new RangeError('accuracy: no labels');
  checkLabels(yTrue, yPred, Number.MAX_SAFE_INTEGER);
  let right = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) right++;
  return right / yTrue.length;
}

/**
 * Per-class accuracy as the paper reports it: for each grade, the fraction of its images
 * predicted correctly (the confusion matrix's diagonal over its row sums, i.e. recall). A grade
 * with no images gets NaN, not 0, so it cannot be mistaken for a grade the model always misses.
 */
export function perClassAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: { numClasses?: number } = {}): number[] {
  const m = confusionMatrix(yTrue, yPred, options);
  return m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? Number.NaN : (row[i] as number) / total;
  });
}
