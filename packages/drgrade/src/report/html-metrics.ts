// The report's DR metrics sections: referable DR over the out-of-fold predictions (pooled and
// per fold, with the ROC curve), per-class precision and recall, and the confusion matrix's row
// percentages.
import type { FoldSpread, OutOfFold } from './out-of-fold.ts';
import { f3, intervalText, operatingPointText, percent, pm } from './format.ts';
import { esc, lineChart } from './svg.ts';

const spread = (s: FoldSpread) => `${pm(s.mean, s.std)}${s.folds ? '' : ' (undefined in every fold)'}`;

export function referableSection(o: OutOfFold | null, missing: number[]): string {
  const head = '<h2>Referable DR (grade ≥ 2), out of fold</h2>';
  if (!o) return `${head}<p id="referable">No out-of-fold predictions${missing.length ? ` in fold${missing.length === 1 ? '' : 's'} ${missing.join(', ')}` : ''}: the referable-DR and per-class metrics need every fold's held-out predictions (runs of drgrade versions that did not record them).</p>`;
  const r = o.pooled.referable;
  const rows = o.byFold.map((f) => `<tr><td>${f.fold}</td><td>${f.images}</td><td>${f3(f.auc)}</td><td>${f3(f.sensitivity)}</td><td>${f3(f.specificity)}</td></tr>`).join('');
  const m = o.byFoldMean;
  const roc = r.roc ? lineChart('ROC curve, referable DR (all folds pooled)', 'false positive rate', [
    { name: `AUC ${f3(r.auc)}`, color: '#1f77b4', points: r.roc.fpr.map((x, i) => [x, r.roc!.tpr[i]!]) },
    { name: 'chance', color: '#999', points: [[0, 0], [1, 1]], width: 1, dashed: true },
  ], { width: 320, height: 320, xRange: [0, 1], yRange: [0, 1], yLabel: 'sensitivity' }) : '';
  return `${head}
<p class="big" id="referable">AUC <b>${f3(r.auc)}</b>${intervalText(r.aucCI)} · sensitivity <b>${f3(r.sensitivity)}</b>${intervalText(r.sensitivityCI)} · specificity <b>${f3(r.specificity)}</b>${intervalText(r.specificityCI)}
(${o.pooled.images} images, ${r.positives} referable, ${r.negatives} not; every image graded by the model of the fold that held it out)</p>
<p>AUC of P(grade ≥ 2) = p2 + p3 + p4. Sensitivity and specificity at the model's own operating point: referable when the predicted grade is 2 or more. In brackets, 95 % intervals (DeLong's for the AUC, Wilson's score intervals for the rates); they count every image as independent, though a patient's two eyes are often graded alike, so read them as somewhat narrow.</p>
${r.auc === null ? '' : `<p>The same curve read at the screening targets (80 % sensitivity and 95 % specificity, the UK standard, and 90 % sensitivity), cut on the pooled predictions; a reading, not the model's operating point:</p>
<ul id="operating-points">${r.operatingPoints.map((p) => `<li>${esc(operatingPointText(p))}</li>`).join('')}</ul>`}
<table id="referable-folds"><tr><th>fold</th><th>images</th><th>AUC</th><th>sensitivity</th><th>specificity</th></tr>${rows}
<tr><th>mean ± std</th><td></td><td>${spread(m.auc)}</td><td>${spread(m.sensitivity)}</td><td>${spread(m.specificity)}</td></tr></table>
${roc}`;
}

export function perClassSection(o: OutOfFold | null, labels: string[]): string {
  if (!o) return '';
  const rows = o.pooled.perClass.map((c, g) => `<tr><th>${esc(labels[g] ?? String(g))}</th><td>${f3(c.precision)}</td><td>${f3(c.recall)}</td></tr>`).join('');
  return `<h2>Per-class precision and recall, out of fold</h2>
<table id="per-class"><tr><th>grade</th><th>precision</th><th>recall</th></tr>${rows}</table>
<p>A dash: undefined (precision of a grade never predicted, recall of a grade without images).</p>`;
}

export function rowPercentTable(percentages: (number | null)[][], labels: string[]): string {
  const head = `<tr><th>true \\ predicted</th>${labels.map((_, j) => `<th>${j}</th>`).join('')}</tr>`;
  const rows = percentages.map((row, i) => `<tr><th>${esc(labels[i] ?? String(i))}</th>${row.map((v) => `<td>${percent(v)}</td>`).join('')}</tr>`).join('');
  return `<table id="confusion-percent">${head}${rows}</table><p>Each row as percentages of the images of that grade.</p>`;
}
