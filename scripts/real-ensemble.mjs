#!/usr/bin/env node
// Seed ensembles on finished cross-validations: for each fold, the fold models of several runs of
// one recipe (different seeds, the same folds file) joined by `drgrade ensemble`, and every member
// and the ensemble evaluated on the fold's held-out photographs (`drgrade eval --folds-file
// --fold`, with the flips each model's configuration says, or as --tta / --no-tta forces). Prints a
// Markdown table (scripts/eval-table.mjs); the ensembles and evaluations are kept in <out-dir>, with
// each evaluation's per-image predictions beside it and the ensemble's out-of-fold predictions of
// every fold in <out-dir>/predictions.csv (the layout of a run's, for scripts/real-decoding.py).
//   node scripts/real-ensemble.mjs <data-dir> <out-dir> <run-dir> <run-dir> ... [--tta | --no-tta]
//   (each run-dir: one recipe's folder of scripts/real-cv.sh)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVAL_COLUMNS, evalRow } from './eval-table.mjs';

const args = process.argv.slice(2);
const flips = args.filter((a) => a === '--tta' || a === '--no-tta');
const [data, out, ...runs] = args.filter((a) => !flips.includes(a));
if (!data || !out || runs.length < 2) {
  console.error('usage: node scripts/real-ensemble.mjs <data-dir> <out-dir> <run-dir> <run-dir> ... [--tta | --no-tta]');
  process.exit(2);
}
const fail = (message) => { console.error(`real-ensemble: ${message}`); process.exit(1); };
const folds = readFileSync(join(runs[0], 'folds.csv'), 'utf8');
for (const run of runs.slice(1)) if (readFileSync(join(run, 'folds.csv'), 'utf8') !== folds) fail(`${run}/folds.csv differs from ${runs[0]}/folds.csv: the members must be scored on the same folds`);
const ks = [...new Set(folds.trim().split('\n').slice(1).map((line) => Number(line.split(',').at(-1))))].sort((a, b) => a - b)
  .filter((k) => runs.every((run) => existsSync(join(run, `fold-${k}`, 'model-best.safetensors'))));
if (ks.length === 0) fail('no fold has a model-best.safetensors in every run');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'folds.csv'), folds);

const drgrade = join(new URL('.', import.meta.url).pathname, '..', 'packages', 'drgrade', 'bin', 'drgrade.js');
const run = (argv) => execFileSync(process.execPath, [drgrade, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const evaluate = (model, k, file) => {
  const json = run(['eval', '--checkpoint', model, '--data', data, '--folds-file', join(out, 'folds.csv'), '--fold', String(k), ...flips, '--json', '--predictions', file.replace(/\.json$/, '.csv')]);
  writeFileSync(file, json);
  return JSON.parse(json);
};
const members = runs.map(() => []), ensemble = [];
for (const k of ks) {
  const dir = join(out, `fold-${k}`);
  mkdirSync(dir, { recursive: true });
  const models = runs.map((r) => join(r, `fold-${k}`, 'model-best.safetensors'));
  run(['ensemble', ...models, '--out', join(dir, 'ensemble.safetensors'), '--overwrite']);
  models.forEach((m, i) => members[i].push(evaluate(m, k, join(dir, `eval-member-${i}.json`))));
  ensemble.push(evaluate(join(dir, 'ensemble.safetensors'), k, join(dir, 'eval-ensemble.json')));
}
const tables = ks.map((k) => readFileSync(join(out, `fold-${k}`, 'eval-ensemble.csv'), 'utf8').trimEnd().split('\n'));
writeFileSync(join(out, 'predictions.csv'), `${[tables[0][0], ...tables.flatMap((t) => t.slice(1))].join('\n')}\n`);
const withFlips = ensemble[0].testTimeFlips ? 'with flips' : 'without flips';
console.log(`| folds ${ks.join(', ')}, ${withFlips} ${EVAL_COLUMNS}`);
console.log('|---|---|---|---|---|---|---|');
runs.forEach((r, i) => console.log(evalRow(`member ${i}: ${r}`, members[i])));
console.log(evalRow(`**ensemble of ${runs.length}** (probabilities averaged)`, ensemble));
