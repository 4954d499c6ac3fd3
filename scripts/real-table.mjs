#!/usr/bin/env node
// The Markdown table of a real-data cross-validation (scripts/real-cv.sh): one row per recipe
// with the held-out kappa of each fold's selected model (mean ± sample std over folds), the
// pooled accuracy and per-grade recall, how often grades 3 and 4 were predicted, time, and the
// best held-out epoch's kappa, labelled as the optimistic figure it is (selection on test data);
// from the run's report.json, kappa pooled over every out-of-fold prediction with its 95 % interval
// (bootstrap over patients) and the pooled referable AUC.
//   node scripts/real-table.mjs <out-dir> <recipe> [recipe ...]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { meanStd } from '../packages/drgrade/dist/index.js';

const [out, ...recipes] = process.argv.slice(2);
if (!out || recipes.length === 0) {
  console.error('usage: node scripts/real-table.mjs <out-dir> <recipe> [recipe ...]');
  process.exit(2);
}
const spread = (xs) => { const { mean, std } = meanStd(xs); return `${mean.toFixed(3)} ± ${std.toFixed(3)}`; };
console.log('| recipe | folds | kappa (selected: last epoch) | per fold | pooled kappa [95 %] | accuracy | referable AUC (pooled) | recall per grade 0–4 (pooled) | predicted 3 / 4 | best held-out epoch (optimistic) | s per fold | img/s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
// Each run's fold results, read once: the seed summary below reads them again.
const read = new Map();
const foldsOf = (r) => {
  if (!read.has(r)) read.set(r, readFolds(r));
  return read.get(r);
};
const readFolds = (r) => {
  const dir = join(out, r);
  return existsSync(dir) ? readdirSync(dir).filter((n) => /^fold-\d+$/.test(n)).map((n) => join(dir, n, 'result.json')).filter(existsSync)
    .map((p) => JSON.parse(readFileSync(p, 'utf8'))).sort((a, b) => a.fold - b.fold) : [];
};
for (const r of recipes) {
  const dir = join(out, r);
  const folds = foldsOf(r);
  if (folds.length === 0) { console.log(`| ${r} | 0 | – | – | – | – | – | – | – | – | – | – |`); continue; }
  const C = 5;
  const conf = Array.from({ length: C }, (_, i) => Array.from({ length: C }, (_, j) => folds.reduce((s, f) => s + (f.confusion[i]?.[j] ?? 0), 0)));
  const n = conf.flat().reduce((a, b) => a + b, 0);
  const acc = conf.reduce((s, row, i) => s + row[i], 0) / n;
  const recall = conf.map((row, i) => { const t = row.reduce((a, b) => a + b, 0); return t ? (row[i] / t).toFixed(2) : '–'; }).join(' / ');
  const predicted = (g) => conf.reduce((s, row) => s + row[g], 0);
  const best = folds.map((f) => Math.max(...f.history.map((h) => h.valKappa ?? -1)));
  const ips = folds.flatMap((f) => f.history.map((h) => h.imagesPerSecond));
  // The pooled figures come from the run's report (drgrade report), which pools the predictions.
  const reportPath = join(dir, 'report.json');
  const oof = existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, 'utf8')).outOfFold : undefined;
  const auc = oof?.pooled?.referable?.auc;
  const pooled = oof?.pooledKappa?.interval ? `${oof.pooledKappa.kappa.toFixed(3)} [${oof.pooledKappa.interval.map((v) => v.toFixed(3)).join(', ')}]` : '–';
  console.log(`| ${r} | ${folds.length} | ${spread(folds.map((f) => f.kappa))} | ${folds.map((f) => f.kappa.toFixed(3)).join(', ')} | ${pooled} | ${acc.toFixed(3)} | ${typeof auc === 'number' ? auc.toFixed(3) : '–'} | ${recall} | ` +
    `${predicted(3)} / ${predicted(4)} | ${spread(best)} | ${(folds.reduce((s, f) => s + f.seconds, 0) / folds.length).toFixed(0)} | ${(ips.reduce((a, b) => a + b, 0) / ips.length).toFixed(0)} |`);
}

// Runs of one recipe with several seeds (scripts/real-cv.sh with REAL_SEEDS: <recipe>-seed<N>): the
// spread between seeds is the noise a difference between recipes has to clear.
const bySeed = new Map();
for (const r of recipes) {
  const m = /^(.*)-seed(\d+)$/.exec(r);
  const folds = foldsOf(r);
  if (!m || folds.length !== 5) continue;
  bySeed.set(m[1], [...(bySeed.get(m[1]) ?? []), { seed: Number(m[2]), kappa: meanStd(folds.map((f) => f.kappa)).mean }]);
}
if ([...bySeed.values()].some((runs) => runs.length >= 2)) {
  console.log('\n| recipe | seeds with 5 folds | kappa: mean of the seeds\' 5-fold means ± std over seeds | per seed |');
  console.log('|---|---|---|---|');
  for (const [recipe, runs] of bySeed) {
    if (runs.length < 2) continue;
    console.log(`| ${recipe} | ${runs.length} | ${spread(runs.map((x) => x.kappa))} | ${runs.map((x) => `${x.seed}: ${x.kappa.toFixed(3)}`).join(', ')} |`);
  }
}
