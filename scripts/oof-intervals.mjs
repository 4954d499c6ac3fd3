#!/usr/bin/env node
// 95 % intervals of a cross-validation's pooled out-of-fold figures, from its predictions.csv
// (written by `drgrade train`, `drgrade eval --predictions` or scripts/oof-ensemble.mjs --out), as
// `drgrade eval` finds them for one model: kappa by a bootstrap over patients, the referable AUC by
// DeLong, sensitivity and specificity by Wilson. With a second table of the same images (another
// recipe on the same folds), also the difference in pooled kappa, second minus first, with a paired
// bootstrap over patients: each resample draws the same patients for both, so what the two share
// (which photographs are hard) cancels out of the interval.
//   node scripts/oof-intervals.mjs <predictions.csv> [<other predictions.csv>]
import { readFileSync } from 'node:fs';
import { clusterBootstrapInterval, clustersOf, drMetrics, INTERVAL_METHODS, KAPPA_BOOTSTRAP, parseCsv, quadraticWeightedKappa } from '../packages/drgrade/dist/index.js';

const files = process.argv.slice(2);
if (files.length < 1 || files.length > 2) {
  console.error('usage: node scripts/oof-intervals.mjs <predictions.csv> [<other predictions.csv>]');
  process.exit(2);
}
const fail = (message) => { console.error(`oof-intervals: ${message}`); process.exit(1); };
const GRADES = 5;

/** id, patient, grade, predicted and the five probabilities of every row, in the file's order. */
function read(file) {
  let text;
  try { text = readFileSync(file, 'utf8'); } catch { fail(`${file}: cannot be read`); }
  const { table, errors } = parseCsv(text);
  if (errors.length > 0) fail(`${file} line ${errors[0].line}: ${errors[0].message}`);
  const need = ['id', 'patient', 'grade', 'predicted', ...Array.from({ length: GRADES }, (_, g) => `p${g}`)];
  const missing = need.filter((c) => !table.header.includes(c));
  if (missing.length > 0) fail(`${file}: no column ${missing.join(', ')}`);
  const at = Object.fromEntries(need.map((c) => [c, table.header.indexOf(c)]));
  return table.rows.map(({ line, cells }) => {
    const row = { id: cells[at.id], patient: cells[at.patient], grade: Number(cells[at.grade]), predicted: Number(cells[at.predicted]), p: Array.from({ length: GRADES }, (_, g) => Number(cells[at[`p${g}`]])) };
    if (![row.grade, row.predicted, ...row.p].every(Number.isFinite)) fail(`${file} line ${line}: a grade or probability is not a number`);
    return row;
  });
}

const f3 = (x) => (x === null ? '–' : x.toFixed(3));
const ci = (i) => (i ? `[${f3(i[0])}, ${f3(i[1])}]` : '(none)');
const kappaOf = (rows, ix) => quadraticWeightedKappa(ix.map((i) => rows[i].grade), ix.map((i) => rows[i].predicted));

const first = read(files[0]);
const patients = clustersOf(first.map((r) => r.patient));
const all = first.map((_, i) => i);
const m = drMetrics(first.map((r) => r.grade), first.map((r) => r.predicted), first.map((r) => r.p), GRADES).referable;
console.log(`${files[0]}: ${first.length} images of ${patients.length} patients, pooled out of fold`);
console.log(`  quadratic weighted kappa ${f3(kappaOf(first, all))} ${ci(clusterBootstrapInterval(patients, (ix) => kappaOf(first, ix), KAPPA_BOOTSTRAP))}`);
console.log(`  referable AUC ${f3(m.auc)} ${ci(m.aucCI)}, sensitivity ${f3(m.sensitivity)} ${ci(m.sensitivityCI)}, specificity ${f3(m.specificity)} ${ci(m.specificityCI)}`);
console.log(`  [95 % intervals] kappa: ${INTERVAL_METHODS.kappa}; AUC: ${INTERVAL_METHODS.auc}; rates: ${INTERVAL_METHODS.sensitivity}`);
if (files[1]) {
  const byId = new Map(read(files[1]).map((r) => [r.id, r]));
  if (byId.size !== first.length) fail(`${files[1]} has ${byId.size} images, ${files[0]} ${first.length}`);
  const second = first.map((r) => byId.get(r.id) ?? fail(`${files[1]}: no image ${r.id}`));
  second.forEach((r, i) => { if (r.grade !== first[i].grade) fail(`${files[1]}: image ${r.id} has grade ${r.grade}, ${first[i].grade} in ${files[0]}`); });
  const diff = (ix) => kappaOf(second, ix) - kappaOf(first, ix);
  console.log(`${files[1]} minus ${files[0]}: pooled kappa ${f3(kappaOf(second, all))} - ${f3(kappaOf(first, all))} = ${f3(diff(all))} ${ci(clusterBootstrapInterval(patients, diff, KAPPA_BOOTSTRAP))} (paired bootstrap over patients)`);
}
