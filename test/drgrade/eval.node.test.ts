// `drgrade eval --json` on the eleven real sample photographs with the repository's test model:
// the fields DR papers report, consistent with the sample's labels and the printed confusion matrix
// (the metric functions themselves are checked against scikit-learn in metrics.node.test.ts).
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDataset, runCli } from 'drgrade';
import { buildWorkers, captureContext, repoRoot, sampleRoot } from './helpers.ts';

process.env.DRGRADE_WORKER_DIR = buildWorkers();

interface EvalJson {
  images: number;
  kappa: number;
  accuracy: number;
  referable: { auc: number | null; sensitivity: number | null; specificity: number | null; positives: number; negatives: number; roc: { fpr: number[]; tpr: number[] } | null };
  perClass: { precision: number | null; recall: number | null }[];
  confusion: number[][];
  confusionRowPercent: (number | null)[][];
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('eval --json: kappa, referable DR, per-class precision and recall, confusion with row percentages', async () => {
  const ctx = captureContext();
  const t = performance.now();
  const code = await runCli(['eval', '--checkpoint', join(repoRoot(), 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors'), '--data', sampleRoot(), '--json', '--workers', '0'], ctx);
  console.log(`\n  eval of the 11 sample photographs: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  assert.is(code, 0, ctx.stderr.text);
  const r = JSON.parse(ctx.stdout.text) as EvalJson;
  const grades = readDataset(sampleRoot()).items.map((i) => i.grade as number);
  assert.is(r.images, grades.length);
  assert.type(r.kappa, 'number');
  const m = r.confusion;
  assert.equal(m.map(sum), [0, 1, 2, 3, 4].map((g) => grades.filter((x) => x === g).length), 'confusion rows are the label counts');
  const referable = [2, 3, 4], other = [0, 1];
  const cell = (rows: number[], cols: number[]) => sum(rows.flatMap((i) => cols.map((j) => m[i]![j]!)));
  assert.is(r.referable.positives, grades.filter((g) => g >= 2).length);
  assert.is(r.referable.negatives, grades.filter((g) => g < 2).length);
  assert.is(r.referable.sensitivity, ratio(cell(referable, referable), r.referable.positives));
  assert.is(r.referable.specificity, ratio(cell(other, other), r.referable.negatives));
  assert.ok(r.referable.auc !== null && r.referable.auc >= 0 && r.referable.auc <= 1, `AUC ${r.referable.auc}`);
  assert.ok(r.referable.roc !== null && r.referable.roc.fpr[0] === 0 && r.referable.roc.tpr.at(-1) === 1);
  r.perClass.forEach((c, g) => {
    assert.is(c.recall, ratio(m[g]![g]!, sum(m[g]!)), `recall of grade ${g}`);
    assert.is(c.precision, ratio(m[g]![g]!, sum(m.map((row) => row[g]!))), `precision of grade ${g}`);
  });
  r.confusionRowPercent.forEach((row, i) => row.forEach((v, j) => {
    const n = sum(m[i]!);
    if (n === 0) assert.is(v, null);
    else assert.ok(Math.abs(v! - (100 * m[i]![j]!) / n) < 1e-12);
  }));
});

test.run();
