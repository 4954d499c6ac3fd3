/**
 * A confusion matrix's rows as percentages of their totals (the share of each true grade given
 * each prediction; scikit-learn's confusion_matrix(normalize='true') × 100). A grade with no
 * images gets a row of NaN where scikit-learn writes zeros, so it cannot be read as a grade
 * never predicted correctly.
 */
export function confusionRowPercent(m: number[][]): number[][] {
  return m.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total ? (100 * v) / total : Number.NaN));
  });
}
