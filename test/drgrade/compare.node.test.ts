// `drgrade compare` and the paired differences under it (packages/drgrade/src/metrics/paired.ts):
// predictions tables read back as written, figures equal to the metric functions' (checked against
// scikit-learn and scipy elsewhere), differences that are 0 for a grading against itself and exclude
// 0 where one grading is clearly better, and one line for tables that do not match.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPredictionsCsv, pairedDifferences, parsePredictionsCsv, quadraticWeightedKappa, rocAuc, runCli, type Graded } from 'drgrade';
import { captureContext, tempDir } from './helpers.ts';

/** 60 images of 30 patients (two eyes each); `noise` of every 10 predictions off by one or two grades. */
function grading(noise: number, seed: number): Graded & { ids: string[] } {
  let s = seed;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const ids: string[] = [], patients: string[] = [], grades: number[] = [], predicted: number[] = [], probabilities: number[][] = [];
  for (let i = 0; i < 60; i++) {
    const grade = [0, 0, 0, 1, 2, 2, 3, 4][i % 8]!;
    const off = next() < noise / 10 ? (next() < 0.5 ? -1 : 1) * (1 + Math.floor(next() * 2)) : 0;
    const p = Math.min(4, Math.max(0, grade + off));
    const probs = [0.05, 0.05, 0.05, 0.05, 0.05];
    probs[p] = 0.8;
    ids.push(`P${Math.floor(i / 2)}_${i % 2 ? 'R' : 'L'}`); patients.push(`P${Math.floor(i / 2)}`); grades.push(grade); predicted.push(p); probabilities.push(probs);
  }
  return { ids, patients, grades, predicted, probabilities };
}

function table(g: Graded & { ids: string[] }): string {
  return formatPredictionsCsv([0, 1].map((fold) => ({
    fold, predictions: g.ids.map((id, i) => ({ id, patient: g.patients[i]!, grade: g.grades[i]!, predicted: g.predicted[i]!, probabilities: g.probabilities[i]! })).filter((_, i) => i % 2 === fold),
  })));
}

test('predictions tables read back as formatPredictionsCsv wrote them; a bad cell is named with its line', () => {
  const g = grading(3, 1);
  const rows = parsePredictionsCsv(table(g), 'a.csv');
  assert.is(rows.length, 60);
  assert.equal(rows[0], { id: 'P0_L', patient: 'P0', fold: 0, grade: 0, predicted: g.predicted[0]!, probabilities: g.probabilities[0]! });
  assert.equal(parsePredictionsCsv('id,patient,fold,grade,predicted,p0,p1\nx,px,,1,0,0.5,0.5\n', 'e.csv')[0]!.fold, null);
  assert.throws(() => parsePredictionsCsv('id,patient,fold,grade,predicted,p0,p1\nx,px,0,2,0,0.5,0.5\n', 'b.csv'), /b\.csv line 2: grade '2' is not an integer 0\.\.1/);
  assert.throws(() => parsePredictionsCsv('id,patient,fold,grade,predicted,p0,p1\nx,px,0,1,0,0.5,high\n', 'b.csv'), /b\.csv line 2: p1 'high' is not a probability/);
  assert.throws(() => parsePredictionsCsv('id,fold\nx,0\n', 'f.csv'), /f\.csv: not a predictions table \(no column patient, grade, predicted/);
});

test('paired differences: 0 against itself, the kappa gap of a better grading with an interval above 0, the same images required', () => {
  const a = grading(4, 2), better = grading(1, 3), same = grading(4, 2);
  const self = pairedDifferences(a, same, 5);
  for (const d of Object.values(self)) assert.equal([d.value, d.interval], [0, [0, 0]]);
  const d = pairedDifferences(a, better, 5);
  const gap = quadraticWeightedKappa(better.grades, better.predicted) - quadraticWeightedKappa(a.grades, a.predicted);
  assert.ok(Math.abs(d.kappa.value! - gap) < 1e-12, `${d.kappa.value} vs ${gap}`);
  assert.ok(gap > 0.05 && d.kappa.interval![0] > 0 && d.kappa.interval![0] < gap && gap < d.kappa.interval![1], `gap ${gap}, interval ${d.kappa.interval}`);
  const auc = (g: Graded) => rocAuc(g.grades.map((x) => x >= 2), g.probabilities.map((p) => p[2]! + p[3]! + p[4]!));
  assert.ok(Math.abs(d.referableAuc.value! - (auc(better) - auc(a))) < 1e-12);
  assert.throws(() => pairedDifferences(a, { ...better, grades: [...better.grades].reverse() }, 5), /not of the same images/);
});

test('drgrade compare: two run folders or tables, figures and paired differences in text and JSON; mismatched tables in one line', async () => {
  const dir = tempDir('drgrade-compare-');
  const a = grading(4, 2), b = grading(1, 3);
  writeFileSync(join(dir, 'a.csv'), table(a));
  const runB = join(dir, 'run-b');
  mkdirSync(runB);
  writeFileSync(join(runB, 'predictions.csv'), table(b));
  const run = async (args: string[]) => { const ctx = captureContext(dir); const code = await runCli(['compare', ...args], ctx); return { code, ctx }; };
  const json = await run(['a.csv', 'run-b', '--json']);
  assert.is(json.code, 0, json.ctx.stderr.text);
  const r = JSON.parse(json.ctx.stdout.text) as { files: string[]; figures: { patients: number; kappa: { value: number } }[]; difference: { kappa: { value: number; interval: [number, number] } } };
  assert.equal(r.files, ['a.csv', join('run-b', 'predictions.csv')]);
  assert.equal(r.figures.map((f) => f.patients), [30, 30]);
  assert.is(r.figures[1]!.kappa.value, quadraticWeightedKappa(b.grades, b.predicted));
  assert.ok(Math.abs(r.difference.kappa.value - (r.figures[1]!.kappa.value - r.figures[0]!.kappa.value)) < 1e-12);
  const text = await run(['a.csv', 'run-b']);
  assert.match(text.ctx.stdout.text, /^a\.csv: 60 images of 30 patients: kappa \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\], referable AUC/);
  assert.match(text.ctx.stdout.text, /\nsecond minus first, paired: kappa \+\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/);
  // Another image set, another grade, three tables, a folder without a table: one line each, exit 1 or 2.
  writeFileSync(join(dir, 'short.csv'), table(a).split('\n').slice(0, 30).join('\n'));
  writeFileSync(join(dir, 'regraded.csv'), table(a).replace('\nP0_L,P0,0,0,', '\nP0_L,P0,0,1,'));
  for (const [args, pattern] of [
    [['a.csv', 'short.csv'], /short\.csv has 29 images, a\.csv 60: compare gradings of the same images/],
    [['a.csv', 'regraded.csv'], /regraded\.csv: image 'P0_L' has grade 1 of patient 'P0', in a\.csv grade 0 of 'P0'/],
    [['a.csv', 'a.csv', 'a.csv'], /compare takes one or two run folders or predictions tables, 3 given/],
    [['.'], /\.: no predictions\.csv in this folder/],
  ] as const) {
    const { code, ctx } = await run([...args]);
    assert.ok(code !== 0, `${args.join(' ')} exit ${code}`);
    assert.match(ctx.stderr.text, pattern);
    assert.is(ctx.stderr.text.trim().split('\n').length, 1, ctx.stderr.text);
  }
});

test.run();
