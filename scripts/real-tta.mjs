#!/usr/bin/env node
// Test-time flips on a finished cross-validation: each fold's selected model evaluated on its own
// held-out photographs (`drgrade eval --folds-file --fold`), without and with flips, and a Markdown
// table of both (kappa mean ± sample std over folds, per fold, pooled accuracy, referable-DR
// sensitivity and specificity at the predicted grades, mean referable AUC over folds). The
// evaluations are kept beside each fold's result (fold-k/eval-plain.json, fold-k/eval-flips.json).
//   node scripts/real-tta.mjs <data-dir> <run-dir>        (run-dir: one recipe's folder of scripts/real-cv.sh)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanStd } from '../packages/drgrade/dist/index.js';

const [data, run] = process.argv.slice(2);
if (!data || !run) {
  console.error('usage: node scripts/real-tta.mjs <data-dir> <run-dir>');
  process.exit(2);
}
const drgrade = join(new URL('.', import.meta.url).pathname, '..', 'packages', 'drgrade', 'bin', 'drgrade.js');
const folds = readdirSync(run).map((n) => /^fold-(\d+)$/.exec(n)).filter((m) => m && existsSync(join(run, m[0], 'model-best.safetensors')))
  .map((m) => Number(m[1])).sort((a, b) => a - b);
if (folds.length === 0) { console.error(`${run}: no fold-k/model-best.safetensors`); process.exit(1); }

const spread = (xs) => { const { mean, std } = meanStd(xs); return `${mean.toFixed(3)} ± ${std.toFixed(3)}`; };
const rows = [];
for (const [name, flag] of [['plain', '--no-tta'], ['flips', '--tta']]) {
  const evals = folds.map((k) => {
    const out = execFileSync(process.execPath, [drgrade, 'eval', '--checkpoint', join(run, `fold-${k}`, 'model-best.safetensors'), '--data', data,
      '--folds-file', join(run, 'folds.csv'), '--fold', String(k), flag, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    writeFileSync(join(run, `fold-${k}`, `eval-${name}.json`), out);
    return JSON.parse(out);
  });
  // Pooled over folds: the confusion matrices add up.
  const conf = evals[0].confusion.map((row, i) => row.map((_, j) => evals.reduce((s, e) => s + e.confusion[i][j], 0)));
  const total = conf.flat().reduce((a, b) => a + b, 0);
  const cell = (rows, cols) => rows.reduce((s, i) => s + cols.reduce((t, j) => t + conf[i][j], 0), 0);
  const referable = [2, 3, 4], other = [0, 1];
  rows.push(`| ${name === 'plain' ? 'without flips' : 'flips averaged'} | ${spread(evals.map((e) => e.kappa))} | ${evals.map((e) => e.kappa.toFixed(3)).join(', ')} | ` +
    `${(conf.reduce((s, row, i) => s + row[i], 0) / total).toFixed(3)} | ${(cell(referable, referable) / cell(referable, [0, 1, 2, 3, 4])).toFixed(3)} | ` +
    `${(cell(other, other) / cell(other, [0, 1, 2, 3, 4])).toFixed(3)} | ${spread(evals.map((e) => e.referable.auc))} |`);
}
console.log(`| ${run}: folds ${folds.join(', ')} | kappa | per fold | accuracy | referable sensitivity | referable specificity | referable AUC |`);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
