#!/usr/bin/env node
// Seed ensembles from stored out-of-fold predictions: the per-image probabilities of several
// cross-validations of the same folds (each run's predictions.csv, written by `drgrade train` at
// the fold's selected epoch, or by scripts/real-ensemble.mjs) averaged image by image, graded as
// `predict` grades (predictedGrade) and scored fold by fold as `drgrade eval` scores a fold. This is
// the number scripts/real-ensemble.mjs gets by joining the fold models and evaluating them again (an
// ensemble's probabilities are the mean of its members', each averaged over the same flips), so it
// needs no model files: runs whose models are gone can still be combined. Prints the Markdown table
// of scripts/eval-table.mjs; with --out, also writes the ensemble's predictions.csv there; with
// --json, the figures scripts/ship-model.mjs --ensemble-oof puts on the model card (run folders
// only: each member's seed and flips come from its report.json).
//   node scripts/oof-ensemble.mjs <predictions.csv | run-dir> <predictions.csv | run-dir> ... [--out <file.csv>] [--json <file.json>]
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drMetrics, meanStd, parsePredictionsCsv, predictedGrade, quadraticWeightedKappa } from '../packages/drgrade/dist/index.js';
import { EVAL_COLUMNS, evalRow } from './eval-table.mjs';

const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args.splice(i, 2)[1] ?? '' : undefined; };
const out = flag('out');
const jsonOut = flag('json');
if (args.length < 2 || out === '' || jsonOut === '') {
  console.error('usage: node scripts/oof-ensemble.mjs <predictions.csv | run-dir> <predictions.csv | run-dir> ... [--out <file.csv>] [--json <file.json>]');
  process.exit(2);
}
const fail = (message) => { console.error(`oof-ensemble: ${message}`); process.exit(1); };
const GRADES = 5;

/** One run's rows by image id: patient, fold, grade and the five probabilities. */
function readRun(arg) {
  const dir = existsSync(arg) && statSync(arg).isDirectory() ? arg : null;
  const file = dir ? join(dir, 'predictions.csv') : arg;
  if (!existsSync(file)) fail(`${file}: no such file (a run's predictions.csv, or the run folder holding it)`);
  let table;
  try { table = parsePredictionsCsv(readFileSync(file, 'utf8'), file); } catch (e) { fail(e.message); }
  if (table.some((r) => r.probabilities.length !== GRADES || r.fold === null)) fail(`${file}: every row needs a fold and ${GRADES} probabilities`);
  return { file, dir, rows: new Map(table.map((r) => [r.id, { patient: r.patient, fold: r.fold, grade: r.grade, p: r.probabilities }])) };
}

const runs = args.map(readRun);
const [first] = runs;
// Members must have scored the same images in the same folds, or the mean mixes different tests.
for (const run of runs.slice(1)) {
  if (run.rows.size !== first.rows.size) fail(`${run.file} has ${run.rows.size} images, ${first.file} ${first.rows.size}`);
  for (const [id, row] of first.rows) {
    const other = run.rows.get(id);
    if (!other) fail(`${run.file}: no image ${id} (it is in ${first.file})`);
    if (other.fold !== row.fold || other.grade !== row.grade) fail(`${run.file}: image ${id} is in fold ${other.fold} with grade ${other.grade}, in ${first.file} fold ${row.fold} with grade ${row.grade}`);
  }
}

const members = runs.map((run) => new Map([...run.rows].map(([id, row]) => [id, row.p])));
const ensemble = new Map([...first.rows].map(([id]) => [id, Array.from({ length: GRADES }, (_, g) => members.reduce((s, m) => s + m.get(id)[g], 0) / members.length)]));

// Each fold's images, once: every member and the ensemble are scored on the same ones.
const foldIds = [...new Set([...first.rows.values()].map((r) => r.fold))].sort((a, b) => a - b)
  .map((k) => [...first.rows].filter(([, r]) => r.fold === k).map(([id]) => id));

/** Per fold, the eval-like object scripts/eval-table.mjs reads: kappa, confusion, referable AUC. */
function scoreFolds(probabilities) {
  return foldIds.map((ids) => {
    const grades = ids.map((id) => first.rows.get(id).grade);
    const p = ids.map((id) => probabilities.get(id));
    const predicted = p.map(predictedGrade);
    return { kappa: quadraticWeightedKappa(grades, predicted, { numClasses: GRADES }), ...drMetrics(grades, predicted, p, GRADES) };
  });
}

const memberFolds = members.map(scoreFolds);
const ensembleFolds = scoreFolds(ensemble);
console.log(`| ${runs.length} runs, out of fold ${EVAL_COLUMNS}`);
console.log(`|---${'|---'.repeat(EVAL_COLUMNS.split('|').length - 2)}|`);
runs.forEach((run, i) => console.log(evalRow(`member ${i}: ${run.file}`, memberFolds[i])));
console.log(evalRow(`**ensemble of ${runs.length}** (probabilities averaged)`, ensembleFolds));

if (jsonOut) {
  const reports = runs.map((run) => {
    if (!run.dir) fail(`--json needs run folders (their report.json says each member's seed and flips), not ${run.file}`);
    const file = join(run.dir, 'report.json');
    if (!existsSync(file)) fail(`${file}: no such file; run drgrade report on ${run.dir} first`);
    return JSON.parse(readFileSync(file, 'utf8'));
  });
  const flips = [...new Set(reports.map((r) => r.provenance.config.train.tta))];
  if (flips.length > 1) fail('the members were scored some with test-time flips and some without; their mean is no ensemble of either');
  const kappas = (folds) => { const perFold = folds.map((f) => f.kappa); return { ...meanStd(perFold), perFold }; };
  // Pooled over folds, as report.json's outOfFold.pooled: every image once, at its fold's model.
  const grades = [...first.rows.values()].map((r) => r.grade);
  const pooled = (probabilities) => {
    const p = [...first.rows.keys()].map((id) => probabilities.get(id));
    const { referable } = drMetrics(grades, p.map(predictedGrade), p, GRADES);
    return { auc: referable.auc, sensitivity: referable.sensitivity, specificity: referable.specificity };
  };
  if (existsSync(jsonOut)) fail(`${jsonOut} exists; name a new file`);
  writeFileSync(jsonOut, `${JSON.stringify({
    source: 'out-of-fold predictions averaged (scripts/oof-ensemble.mjs)',
    runs: runs.map((run) => run.dir), seeds: reports.map((r) => r.provenance.config.seed), folds: ensembleFolds.length, testTimeFlips: flips[0],
    configs: reports.map((r) => r.provenance.config),
    kappaMembers: memberFolds.map(kappas), kappaEnsemble: kappas(ensembleFolds),
    referableMembers: members.map(pooled), referableEnsemble: pooled(ensemble),
  }, null, 2)}\n`);
}

if (out) {
  if (existsSync(out)) fail(`${out} exists; name a new file`);
  const lines = ['id,patient,fold,grade,predicted,' + Array.from({ length: GRADES }, (_, g) => `p${g}`).join(',')];
  for (const [id, row] of first.rows) {
    const p = ensemble.get(id);
    lines.push([id, row.patient, row.fold, row.grade, predictedGrade(p), ...p].join(','));
  }
  writeFileSync(out, lines.join('\n') + '\n');
}
