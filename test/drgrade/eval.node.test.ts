// `drgrade eval --json` on the eleven real sample photographs with the repository's test model:
// the fields DR papers report, consistent with the sample's labels and the printed confusion matrix
// (the metric functions themselves are checked against scikit-learn in metrics.node.test.ts); and
// --folds-file/--fold, which evaluates one fold's images as a data set of just those photographs would;
// --predictions, the per-image table, against predict's grading of each photograph and eval's own matrix.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCsv, readDataset, runCli } from 'drgrade';
import { SAMPLE_IMAGES, buildWorkers, captureContext, repoRoot, sampleRoot, tempDir } from './helpers.ts';

process.env.DRGRADE_WORKER_DIR = buildWorkers();

interface EvalJson {
  images: number;
  patients: number;
  testTimeFlips: boolean;
  kappa: number;
  kappaCI: [number, number] | null;
  accuracy: number;
  intervals: { level: number; kappa: string; auc: string; sensitivity: string; specificity: string };
  referable: { auc: number | null; sensitivity: number | null; specificity: number | null; positives: number; negatives: number; roc: { fpr: number[]; tpr: number[] } | null;
    aucCI: [number, number] | null; sensitivityCI: [number, number] | null; specificityCI: [number, number] | null;
    operatingPoints: { fix: 'sensitivity' | 'specificity'; at: number; threshold: number | null; sensitivity: number | null; specificity: number | null }[] };
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
  assert.is(r.testTimeFlips, false, 'the test model was evaluated without flips, so eval is too by default');
  assert.type(r.kappa, 'number');
  // 95 % intervals: kappa's from resampling the sample's patients (11 photographs of fewer patients).
  const ds = readDataset(sampleRoot());
  assert.is(r.patients, new Set(ds.items.map((i) => i.group)).size);
  assert.ok(r.patients < r.images, `${r.patients} patients, ${r.images} photographs`);
  assert.ok(r.kappaCI !== null && r.kappaCI[0] <= r.kappaCI[1] && r.kappaCI[0] >= -1 && r.kappaCI[1] <= 1, `kappa interval ${JSON.stringify(r.kappaCI)}`);
  assert.equal(r.intervals, { level: 0.95, kappa: 'percentile bootstrap over patients, 2000 resamples, seed 0', auc: 'DeLong, images counted as independent', sensitivity: 'Wilson score, images counted as independent', specificity: 'Wilson score, images counted as independent' });
  for (const [rate, ci] of [[r.referable.sensitivity, r.referable.sensitivityCI], [r.referable.specificity, r.referable.specificityCI], [r.referable.auc, r.referable.aucCI]] as const) {
    assert.ok(rate !== null && ci !== null && ci[0] <= rate && rate <= ci[1], `${rate} within ${JSON.stringify(ci)}`);
  }
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
  assert.equal(r.referable.operatingPoints.map((p) => `${p.fix} ${p.at}`), ['sensitivity 0.8', 'sensitivity 0.9', 'specificity 0.95']);
  for (const p of r.referable.operatingPoints) assert.ok(p[p.fix]! >= p.at, `${p.fix} ${p.at} met: ${JSON.stringify(p)}`);
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

test('eval --folds-file --fold: one fold\'s photographs, as a data set holding only them gives; one line for a fold that is not there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drgrade-eval-fold-'));
  try {
    const model = join(repoRoot(), 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors');
    const items = readDataset(sampleRoot()).items;
    const inFold = new Set(items.filter((_, i) => i % 3 === 1).map((i) => i.id));
    writeFileSync(join(dir, 'folds.csv'), `id,fold\n${items.map((it) => `${it.id},${inFold.has(it.id) ? 1 : 0}`).join('\n')}\n`);
    // The same photographs copied into a data set of their own, labels file filtered to them.
    const grading = join(dir, 'subset', 'B. Disease Grading');
    const images = join(grading, '1. Original Images', 'a. Training Set'), truths = join(grading, '2. Groundtruths');
    mkdirSync(images, { recursive: true });
    mkdirSync(truths, { recursive: true });
    for (const it of items) if (inFold.has(it.id)) cpSync(it.path, join(images, it.path.split(/[\\/]/).pop()!));
    const labels = join(sampleRoot(), 'B. Disease Grading', '2. Groundtruths', 'a. IDRiD_Disease Grading_Training Labels.csv');
    const lines = readFileSync(labels, 'utf8').split('\n');
    writeFileSync(join(truths, 'a. IDRiD_Disease Grading_Training Labels.csv'), [lines[0], ...lines.slice(1).filter((l) => inFold.has(l.split(',')[0]!))].join('\n') + '\n');
    const run = async (args: string[]) => { const ctx = captureContext(); const code = await runCli(['eval', '--checkpoint', model, '--json', '--workers', '0', ...args], ctx); return { code, ctx }; };
    const fold = await run(['--data', sampleRoot(), '--folds-file', join(dir, 'folds.csv'), '--fold', '1', '--tta']);
    const subset = await run(['--data', join(dir, 'subset'), '--tta']);
    assert.is(fold.code, 0, fold.ctx.stderr.text);
    assert.is(subset.code, 0, subset.ctx.stderr.text);
    const [a, b] = [JSON.parse(fold.ctx.stdout.text) as EvalJson, JSON.parse(subset.ctx.stdout.text) as EvalJson];
    assert.is(a.images, inFold.size);
    assert.ok(a.testTimeFlips && b.testTimeFlips, '--tta is said in the result');
    assert.ok(a.images < items.length);
    assert.equal(a.confusion, b.confusion);
    assert.is(a.kappa, b.kappa);
    const missing = await run(['--data', sampleRoot(), '--folds-file', join(dir, 'folds.csv'), '--fold', '4']);
    assert.is(missing.code, 1);
    assert.match(missing.ctx.stderr.text, /folds\.csv: no image of .* is in fold 4 \(folds found: 0, 1\)/);
    assert.is(missing.ctx.stderr.text.trim().split('\n').length, 1, missing.ctx.stderr.text);
    const alone = await run(['--data', sampleRoot(), '--fold', '1']);
    assert.is(alone.code, 2, alone.ctx.stderr.text);
    assert.match(alone.ctx.stderr.text, /--folds-file and --fold go together/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval --predictions: one row per photograph, each as predict grades it, adding up to the confusion matrix', async () => {
  const dir = tempDir('drgrade-eval-csv-');
  const model = join(repoRoot(), 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors');
  const items = readDataset(sampleRoot()).items;
  const patients = [...new Set(items.map((i) => i.group))].sort();
  const inFold1 = items.filter((it) => patients.indexOf(it.group) % 2 === 0);
  writeFileSync(join(dir, 'folds.csv'), `id,fold\n${items.map((it) => `${it.id},${inFold1.includes(it) ? 1 : 0}`).join('\n')}\n`);
  const run = async (args: string[]) => { const ctx = captureContext(); const code = await runCli(args, ctx); return { code, ctx }; };
  const whole = await run(['eval', '--checkpoint', model, '--data', sampleRoot(), '--json', '--workers', '0', '--tta', '--predictions', join(dir, 'all.csv')]);
  assert.is(whole.code, 0, whole.ctx.stderr.text);
  const { table, errors } = parseCsv(readFileSync(join(dir, 'all.csv'), 'utf8'));
  assert.equal(errors, []);
  assert.equal(table.header, ['id', 'patient', 'fold', 'grade', 'predicted', 'p0', 'p1', 'p2', 'p3', 'p4']);
  assert.equal(table.rows.map((r) => r.cells[0]).sort(), items.map((i) => i.id).sort(), 'every photograph once');
  const predicted = await run(['predict', '--checkpoint', model, '--json', '--tta', join(sampleRoot(), SAMPLE_IMAGES)]);
  assert.is(predicted.code, 0, predicted.ctx.stderr.text);
  const byName = new Map((JSON.parse(predicted.ctx.stdout.text) as { image: string; grade: number; probabilities: number[] }[]).map((r) => [r.image.split(/[\\/]/).pop()!.replace(/\.jpg$/i, ''), r]));
  const confusion = [0, 1, 2, 3, 4].map(() => [0, 0, 0, 0, 0]);
  for (const { cells: [id, patient, fold, grade, pred, ...p] } of table.rows) {
    const item = items.find((i) => i.id === id)!;
    assert.is(patient, item.group, `${id}: patient`);
    assert.is(fold, '', `${id}: no fold without --fold`);
    assert.is(Number(grade), item.grade, `${id}: the label`);
    const alone = byName.get(id!)!;
    assert.is(Number(pred), alone.grade, `${id}: predict's grade`);
    p.forEach((v, g) => assert.ok(Math.abs(Number(v) - alone.probabilities[g]!) < 1e-6, `${id} p${g}: ${v} vs predict's ${alone.probabilities[g]}`));
    confusion[Number(grade)]![Number(pred)]! += 1;
  }
  assert.equal(confusion, (JSON.parse(whole.ctx.stdout.text) as EvalJson).confusion, 'the rows add up to the printed matrix');

  const fold = await run(['eval', '--checkpoint', model, '--data', sampleRoot(), '--workers', '0', '--folds-file', join(dir, 'folds.csv'), '--fold', '1', '--predictions', join(dir, 'fold.csv')]);
  assert.is(fold.code, 0, fold.ctx.stderr.text);
  const foldRows = parseCsv(readFileSync(join(dir, 'fold.csv'), 'utf8')).table.rows.map((r) => r.cells);
  assert.equal(foldRows.map((r) => r[0]).sort(), inFold1.map((i) => i.id).sort());
  assert.ok(foldRows.every((r) => r[2] === '1'), 'the fold column says --fold');

  const folder = await run(['eval', '--checkpoint', model, '--data', sampleRoot(), '--predictions', dir]);
  assert.is(folder.code, 1);
  assert.match(folder.ctx.stderr.text, /^drgrade eval: --predictions .*: is a folder; give the name of the table to write/);
  assert.is(folder.ctx.stderr.text.trim().split('\n').length, 1, folder.ctx.stderr.text);
});

test.run();
