/** Labels must be integers in 0..numClasses-1; anything else is a bug in the caller. */
export function checkLabels(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): void {
  if (yTrue.length !== yPred.length) throw new RangeError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as number;
    const p = yPred[i] as number;
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) throw new RangeError(`yTrue[${i}] = ${t} is not a label in 0..${numClasses - 1}`);
    if (!Number.isInteger(p) || p < 0 || p >= numClasses) throw new RangeError(`yPred[${i}] = ${p} is not a label in 0..${numClasses - 1}`);
  }
}

/**
 * Confusion matrix over the fixed labels 0..numClasses-1: `m[t][p]` counts images of true
 * class t predicted as p (rows true, columns predicted, as scikit-learn's confusion_matrix with
 * labels=range(numClasses)). Classes absent from both inputs still get their row and column.
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: { numClasses?: number } = {}): number[][] {
  const n = options.numClasses ?? 5;
  checkLabels(yTrue, yPred, n);
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < yTrue.length; i++) (m[yTrue[i] as number] as number[])[yPred[i] as number]! += 1;
  return m;
}
