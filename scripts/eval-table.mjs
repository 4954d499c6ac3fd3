// One Markdown table row for a set of per-fold `drgrade eval --json` results: kappa mean ± sample
// std over folds, per fold, and pooled over folds (the confusion matrices add up) accuracy and
// referable-DR sensitivity and specificity at the predicted grades, with the mean referable AUC.
// Shared by scripts/real-tta.mjs and scripts/real-ensemble.mjs.
import { meanStd } from '../packages/drgrade/dist/index.js';

export const EVAL_COLUMNS = '| kappa | per fold | accuracy | referable sensitivity | referable specificity | referable AUC |';

const spread = (xs) => { const { mean, std } = meanStd(xs); return `${mean.toFixed(3)} ± ${std.toFixed(3)}`; };

/** `| label | kappa | … |` for the folds' evaluations. */
export function evalRow(label, evals) {
  const conf = evals[0].confusion.map((row, i) => row.map((_, j) => evals.reduce((s, e) => s + e.confusion[i][j], 0)));
  const total = conf.flat().reduce((a, b) => a + b, 0);
  const cell = (rows, cols) => rows.reduce((s, i) => s + cols.reduce((t, j) => t + conf[i][j], 0), 0);
  const referable = [2, 3, 4], other = [0, 1], all = [0, 1, 2, 3, 4];
  return `| ${label} | ${spread(evals.map((e) => e.kappa))} | ${evals.map((e) => e.kappa.toFixed(3)).join(', ')} | ` +
    `${(conf.reduce((s, row, i) => s + row[i], 0) / total).toFixed(3)} | ${(cell(referable, referable) / cell(referable, all)).toFixed(3)} | ` +
    `${(cell(other, other) / cell(other, all)).toFixed(3)} | ${spread(evals.map((e) => e.referable.auc))} |`;
}
