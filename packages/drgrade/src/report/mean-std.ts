/** Mean and sample standard deviation (n − 1, as cross-validation reports usually give) over folds; std 0 for one value. */
export function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  return { mean, std: n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0 };
}
