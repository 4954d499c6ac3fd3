// Markdown table of an ablation run folder (scripts/ablation.sh): kappa mean ± std per row.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'runs/ablation';
const rows = [['ce', 'CE'], ['fl', 'FL'], ['fl-or', 'FL + OR (SORD)'], ['fl-or-ml', 'FL + OR + ML (SoftTriple), the paper\'s loss']];
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
console.log('| loss | kappa (mean ± std over folds) | per fold | accuracy | per-class accuracy (0–4) |');
console.log('|---|---|---|---|---|');
for (const [dir, name] of rows) {
  const p = join(out, dir, 'report.json');
  if (!existsSync(p)) { console.log(`| ${name} | not run | | | |`); continue; }
  const s = JSON.parse(readFileSync(p, 'utf8'));
  console.log(`| ${name} | ${f3(s.kappaMean)} ± ${f3(s.kappaStd)} | ${s.folds.map((f) => f3(f.kappa)).join(', ')} | ${f3(s.accuracyMean)} | ${s.perClassAccuracy.map((a) => (a === null ? '–' : a.toFixed(2))).join(' / ')} |`);
}
