#!/usr/bin/env node
// Test-time flips on a finished cross-validation: each fold's selected model evaluated on its own
// held-out photographs (`drgrade eval --folds-file --fold`), without and with flips, and a Markdown
// table of both (scripts/eval-table.mjs). The evaluations are kept beside each fold's result
// (fold-k/eval-plain.json, fold-k/eval-flips.json).
//   node scripts/real-tta.mjs <data-dir> <run-dir>        (run-dir: one recipe's folder of scripts/real-cv.sh)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVAL_COLUMNS, evalRow } from './eval-table.mjs';

const [data, run] = process.argv.slice(2);
if (!data || !run) {
  console.error('usage: node scripts/real-tta.mjs <data-dir> <run-dir>');
  process.exit(2);
}
const drgrade = join(new URL('.', import.meta.url).pathname, '..', 'packages', 'drgrade', 'bin', 'drgrade.js');
const folds = readdirSync(run).map((n) => /^fold-(\d+)$/.exec(n)).filter((m) => m && existsSync(join(run, m[0], 'model-best.safetensors')))
  .map((m) => Number(m[1])).sort((a, b) => a - b);
if (folds.length === 0) { console.error(`${run}: no fold-k/model-best.safetensors`); process.exit(1); }

const rows = [];
for (const [name, flag] of [['plain', '--no-tta'], ['flips', '--tta']]) {
  const evals = folds.map((k) => {
    const out = execFileSync(process.execPath, [drgrade, 'eval', '--checkpoint', join(run, `fold-${k}`, 'model-best.safetensors'), '--data', data,
      '--folds-file', join(run, 'folds.csv'), '--fold', String(k), flag, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    writeFileSync(join(run, `fold-${k}`, `eval-${name}.json`), out);
    return JSON.parse(out);
  });
  rows.push(evalRow(name === 'plain' ? 'without flips' : 'flips averaged', evals));
}
console.log(`| ${run}: folds ${folds.join(', ')} ${EVAL_COLUMNS}`);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
