// The run report: one self-contained HTML file (inline SVG charts, embedded PNGs, no requests).
import { kappaCurves, selectionLabel } from './html-curves.ts';
import { perClassSection, referableSection, rowPercentTable } from './html-metrics.ts';
import { provenanceSection } from './html-provenance.ts';
import { GRADE_NAMES } from '../data/types.ts';
import { f3, intervalText } from './format.ts';
import { confusionChart, esc, lineChart } from './svg.ts';
import type { RunSummary } from './summary.ts';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Whether the run's configuration graded its held-out folds with test-time flips (train.tta). */
function gradedWithFlips(s: RunSummary): boolean {
  const train = s.provenance?.config?.train;
  return typeof train === 'object' && train !== null && (train as { tta?: unknown }).tta === true;
}

export function renderReport(s: RunSummary): string {
  const foldRows = s.folds.map((f) => `<tr><td>${f.fold}</td><td>${f3(f.kappa)}</td><td>${f3(f.accuracy)}</td><td title="${esc(selectionLabel(f))}">${f.bestEpoch}</td><td>${f.trainImages}/${f.valImages}</td>` +
    `${f.perClassAccuracy.map((a) => `<td>${f3(a)}</td>`).join('')}<td>${(f.seconds / 60).toFixed(1)}</td></tr>`).join('');
  const selections = [...new Set(s.folds.map(selectionLabel))].join('; ');
  const curves = s.folds.map((f) => `<figure>${lineChart(`Fold ${f.fold}: loss`, 'epoch', [
    { name: 'train loss', color: COLORS[0]!, points: f.history.map((h) => [h.epoch, h.trainLoss]) },
    { name: 'held-out loss', color: COLORS[1]!, points: f.history.map((h) => [h.epoch, h.valLoss]) },
  ])}${lineChart(`Fold ${f.fold}: held-out fold`, 'epoch', [
    { name: 'kappa', color: COLORS[2]!, points: f.history.map((h) => [h.epoch, h.valKappa]) },
    { name: 'accuracy', color: COLORS[3]!, points: f.history.map((h) => [h.epoch, h.valAccuracy]) },
  ])}</figure>`).join('');
  const cams = s.folds.flatMap((f) => f.gradcams.map((g) => `<figure class="cam"><img alt="Grad-CAM of ${esc(g.id)}" src="data:image/png;base64,${g.png}">` +
    `<figcaption>${esc(g.id)} — fold ${f.fold}<br>true ${g.grade} (${GRADE_NAMES[g.grade] ?? g.grade}), predicted ${g.predicted}</figcaption></figure>`)).join('');
  const C = s.confusion.length;
  const labels = Array.from({ length: C }, (_, i) => `${i} ${GRADE_NAMES[i] ?? ''}`.trim());
  const missing = s.folds.filter((f) => !f.predictions?.length).map((f) => f.fold);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>drgrade report — ${esc(s.config)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}figure{display:inline-block;margin:.5rem}.cam img{width:192px;height:192px;image-rendering:auto}
.big{font-size:1.4rem}pre{background:#f7f7f7;padding:.5rem;overflow:auto;max-height:30rem}
</style></head><body>
<h1>drgrade report: ${esc(s.config)}</h1>
<p>Data set: ${esc(s.dataset)} · adapter: ${esc(s.adapter)} · ${s.folds.length} fold${s.folds.length === 1 ? '' : 's'}${s.provenance ? ` · drgrade ${esc(s.provenance.drgradeVersion)} · ${esc(s.provenance.date.slice(0, 10))}` : ''}</p>
<p class="big" id="kappa">Quadratic weighted kappa: <b>${f3(s.kappaMean)} ± ${f3(s.kappaStd)}</b> (mean ± std over folds) · accuracy ${f3(s.accuracyMean)}</p>
${s.outOfFold ? `<p id="pooled-kappa">All out-of-fold predictions together: kappa ${f3(s.outOfFold.pooledKappa.kappa)}${intervalText(s.outOfFold.pooledKappa.interval)} (95 % interval, bootstrap over the ${s.outOfFold.pooledKappa.patients} patients).</p>` : ''}
<p>Each fold's figures are its held-out images graded by the model of its selected epoch (${esc(selections || 'no folds')})${gradedWithFlips(s)
  ? ', its probabilities averaged over each image and its horizontal, vertical and double flips (train.tta); the learning curves score every epoch in one pass, without flips' : ''}.</p>
${referableSection(s.outOfFold, missing)}
<h2>Folds</h2>
<table id="folds"><tr><th>fold</th><th>kappa</th><th>accuracy</th><th>selected epoch</th><th>train/held-out images</th>${labels.map((l) => `<th>acc. ${esc(l)}</th>`).join('')}<th>minutes</th></tr>${foldRows}</table>
<h2>Confusion matrix (all folds)</h2>
${confusionChart('Confusion matrix: rows true grade, columns predicted', s.confusion, labels)}
${rowPercentTable(s.confusionRowPercent, labels)}
<p>Per-class accuracy: ${s.perClassAccuracy.map((a, i) => `${esc(labels[i]!)} ${f3(a)}`).join(' · ')}</p>
${perClassSection(s.outOfFold, labels)}
<h2>Learning curves</h2>
${kappaCurves(s.folds)}
${curves}
<h2>Grad-CAM</h2>
${cams || '<p>No Grad-CAM overlays were recorded.</p>'}
${provenanceSection(s.provenance)}
</body></html>
`;
}
