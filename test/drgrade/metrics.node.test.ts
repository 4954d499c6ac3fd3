import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accuracy, confusionMatrix, confusionRowPercent, drMetrics, perClassAccuracy, perClassPrecisionRecall, quadraticWeightedKappa,
  operatingPoints, referableMetrics, referableProbability, rocAuc, rocCurve, SCREENING_TARGETS,
} from 'drgrade';
import { readFixtureJson, repoRoot } from './helpers.ts';

interface KappaCase {
  yTrue: number[];
  yPred: number[];
  kappa: number;
  confusion: number[][];
  accuracy: number;
  perClass: (number | null)[];
}

const cases = readFixtureJson<KappaCase[]>('kappa_cases.json');

test('quadratic kappa equals scikit-learn cohen_kappa_score(weights="quadratic", labels=0..4)', () => {
  assert.ok(cases.length >= 40);
  let worst = 0;
  for (const c of cases) {
    const k = quadraticWeightedKappa(c.yTrue, c.yPred, { numClasses: 5 });
    worst = Math.max(worst, Math.abs(k - c.kappa));
    assert.ok(Math.abs(k - c.kappa) < 1e-12, `kappa ${k} vs sklearn ${c.kappa} for ${JSON.stringify(c.yTrue.slice(0, 8))}...`);
  }
  assert.ok(worst < 1e-12);
});

test('confusion matrix, accuracy and per-class accuracy equal scikit-learn / numpy', () => {
  for (const c of cases) {
    assert.equal(confusionMatrix(c.yTrue, c.yPred, { numClasses: 5 }), c.confusion);
    assert.ok(Math.abs(accuracy(c.yTrue, c.yPred) - c.accuracy) < 1e-12);
    const pc = perClassAccuracy(c.yTrue, c.yPred, { numClasses: 5 });
    pc.forEach((v, i) => {
      const want = c.perClass[i];
      if (want === null) assert.ok(Number.isNaN(v), `class ${i} has no images: NaN`);
      else assert.ok(Math.abs(v - (want as number)) < 1e-12);
    });
  }
});

test('the fixed label set matters: a fold without grade 1 is not renumbered (trap 1)', () => {
  const trap = readFixtureJson<{ yTrue: number[]; yPred: number[]; kappaFixedLabels: number; kappaInferredLabels: number }>('kappa_missing_grade.json');
  assert.ok(Math.abs(trap.kappaFixedLabels - trap.kappaInferredLabels) > 0.01, 'the fixture shows the trap');
  const k = quadraticWeightedKappa(trap.yTrue, trap.yPred, { numClasses: 5 });
  assert.ok(Math.abs(k - trap.kappaFixedLabels) < 1e-12);
  assert.equal(confusionMatrix(trap.yTrue, trap.yPred).length, 5);
});

test('degenerate cases are defined: all one grade and all correct gives 1', () => {
  assert.is(quadraticWeightedKappa([2, 2, 2], [2, 2, 2]), 1);
  // One grade in the truth but not in the predictions is not degenerate: kappa 0 here.
  assert.is(quadraticWeightedKappa([0, 0], [0, 1]), 0);
  assert.throws(() => quadraticWeightedKappa([], []), RangeError);
  assert.throws(() => quadraticWeightedKappa([0, 1], [0]), RangeError);
  assert.throws(() => quadraticWeightedKappa([0, 5], [0, 1]), /not a label/);
  assert.throws(() => confusionMatrix([0.5], [0]), /not a label/);
});

/** A case of test/fixtures/data/metric_goldens.json (scikit-learn, gen_metric_goldens.py); null = undefined. */
interface DrCase {
  grades: number[];
  predicted: number[];
  probabilities: number[][];
  referableScore: number[];
  auc: number | null;
  roc: { fpr: number[]; tpr: number[]; thresholds: (number | null)[] } | null;
  sensitivity: number | null;
  specificity: number | null;
  operatingPoints: { fix: string; at: number; threshold: number | null; sensitivity: number | null; specificity: number | null }[];
  precision: (number | null)[];
  recall: (number | null)[];
  confusion: number[][];
  confusionRowPercent: (number | null)[][];
}

const golden = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'data', 'metric_goldens.json'), 'utf8')) as { sklearn: string; cases: DrCase[] };
const referable = (c: DrCase) => c.grades.map((g) => g >= 2);

/** Equal within 1e-12, NaN standing for scikit-learn's undefined (null). */
function near(got: number, want: number | null, what: string): void {
  if (want === null) assert.ok(Number.isNaN(got), `${what}: ${got}, expected undefined (NaN)`);
  else assert.ok(Math.abs(got - want) <= 1e-12, `${what}: ${got} vs scikit-learn ${want}`);
}

test('the metric goldens cover ties, a missing grade, a grade never predicted and undefined AUCs', () => {
  assert.ok(golden.cases.length >= 20);
  assert.ok(golden.cases.some((c) => new Set(c.referableScore).size < c.referableScore.length / 2), 'many tied scores');
  assert.ok(golden.cases.some((c) => c.recall.includes(null) && c.grades.length > 20), 'a grade without images');
  assert.ok(golden.cases.some((c) => c.precision.includes(null) && c.grades.length > 20), 'a grade never predicted');
  assert.ok(golden.cases.some((c) => c.auc === null));
});

test('P(grade >= 2) = p2 + p3 + p4, exactly as the generator adds them', () => {
  for (const c of golden.cases) c.probabilities.forEach((p, i) => assert.is(referableProbability(p), c.referableScore[i]));
});

test('referable ROC AUC equals scikit-learn roc_auc_score (ties included)', () => {
  for (const [k, c] of golden.cases.entries()) near(rocAuc(referable(c), c.referableScore), c.auc, `case ${k} AUC`);
  // scikit-learn's documented example.
  assert.is(rocAuc([false, false, true, true], [0.1, 0.4, 0.35, 0.8]), 0.75);
});

test('ROC curve points equal scikit-learn roc_curve (drop_intermediate, first threshold inf)', () => {
  for (const [k, c] of golden.cases.entries()) {
    if (!c.roc) continue;
    const r = rocCurve(referable(c), c.referableScore);
    assert.is(r.fpr.length, c.roc.fpr.length, `case ${k}: number of points`);
    r.fpr.forEach((v, i) => near(v, c.roc!.fpr[i]!, `case ${k} fpr[${i}]`));
    r.tpr.forEach((v, i) => near(v, c.roc!.tpr[i]!, `case ${k} tpr[${i}]`));
    assert.is(r.thresholds[0], Infinity);
    assert.equal(r.thresholds.slice(1), c.roc.thresholds.slice(1), `case ${k} thresholds`);
  }
});

test('sensitivity and specificity of "predicted grade >= 2" equal scikit-learn recall_score of each class', () => {
  for (const [k, c] of golden.cases.entries()) {
    const r = referableMetrics(c.grades, c.predicted, c.probabilities);
    near(r.sensitivity, c.sensitivity, `case ${k} sensitivity`);
    near(r.specificity, c.specificity, `case ${k} specificity`);
    near(r.auc, c.auc, `case ${k} AUC via referableMetrics`);
    assert.is(r.positives + r.negatives, c.grades.length);
  }
});

test('screening operating points equal the best points of scikit-learn roc_curve(drop_intermediate=False)', () => {
  assert.equal(SCREENING_TARGETS.map((t) => `${t.fix} ${t.at}`), ['sensitivity 0.8', 'sensitivity 0.9', 'specificity 0.95']);
  let interior = 0;
  for (const [k, c] of golden.cases.entries()) {
    const got = operatingPoints(referable(c), c.referableScore);
    assert.is(got.length, c.operatingPoints.length);
    got.forEach((p, j) => {
      const want = c.operatingPoints[j]!;
      assert.is(`${p.fix} ${p.at}`, `${want.fix} ${want.at}`);
      near(p.sensitivity, want.sensitivity, `case ${k} ${want.fix} ${want.at}: sensitivity`);
      near(p.specificity, want.specificity, `case ${k} ${want.fix} ${want.at}: specificity`);
      // null: the "nothing positive" point (Infinity), or no curve at all (NaN).
      if (want.threshold === null) assert.ok(want.sensitivity === null ? Number.isNaN(p.threshold) : p.threshold === Infinity, `case ${k} threshold ${p.threshold}`);
      else { assert.is(p.threshold, want.threshold, `case ${k} threshold`); if (want.sensitivity! < 1 && want.specificity! < 1) interior++; }
    });
  }
  assert.ok(interior >= 10, `${interior} points strictly inside the curve`);
});

test('an operating point may lie on a straight stretch that roc_curve drops', () => {
  // Each score holds one positive and one negative, so the curve runs straight from (0, 0) to
  // (1, 1) and scikit-learn's default curve keeps (1/3, 1/3) but drops (2/3, 2/3), the point at
  // 0.8 (checked with scikit-learn 1.2.1). Both targets below are met best there.
  const positive = [true, false, true, false, true, false];
  const score = [0.9, 0.9, 0.8, 0.8, 0.7, 0.7];
  assert.ok(!rocCurve(positive, score).thresholds.includes(0.8));
  const [p] = operatingPoints(positive, score, [{ fix: 'sensitivity', at: 0.6 }]);
  assert.equal([p!.threshold, p!.sensitivity, p!.specificity], [0.8, 2 / 3, 1 / 3]);
  const [q] = operatingPoints(positive, score, [{ fix: 'specificity', at: 0.3 }]);
  assert.equal([q!.threshold, q!.sensitivity, q!.specificity], [0.8, 2 / 3, 1 / 3]);
  assert.throws(() => operatingPoints(positive, score, [{ fix: 'sensitivity', at: 0 }]), /target sensitivity 0 is not in \(0, 1\]/);
  assert.throws(() => operatingPoints([true], [Number.POSITIVE_INFINITY]), /score\[0\] = Infinity is not a finite number/);
});

test('per-class precision and recall equal scikit-learn precision_recall_fscore_support (0/0 undefined)', () => {
  for (const [k, c] of golden.cases.entries()) {
    perClassPrecisionRecall(c.grades, c.predicted, { numClasses: 5 }).forEach((pr, g) => {
      near(pr.precision, c.precision[g]!, `case ${k} precision of grade ${g}`);
      near(pr.recall, c.recall[g]!, `case ${k} recall of grade ${g}`);
    });
  }
});

test('confusion matrix row percentages equal scikit-learn confusion_matrix(normalize="true") x 100', () => {
  for (const [k, c] of golden.cases.entries()) {
    assert.equal(confusionMatrix(c.grades, c.predicted), c.confusion);
    confusionRowPercent(c.confusion).forEach((row, i) => row.forEach((v, j) => near(v, c.confusionRowPercent[i]![j]!, `case ${k} row ${i} column ${j}`)));
  }
});

test('drMetrics: the same figures, undefined as null, no curve without an AUC', () => {
  for (const [k, c] of golden.cases.entries()) {
    const m = drMetrics(c.grades, c.predicted, c.probabilities, 5);
    const eq = (got: number | null, want: number | null, what: string) =>
      assert.ok(want === null ? got === null : got !== null && Math.abs(got - want) <= 1e-12, `case ${k} ${what}: ${got} vs ${want}`);
    eq(m.referable.auc, c.auc, 'auc');
    eq(m.referable.sensitivity, c.sensitivity, 'sensitivity');
    eq(m.referable.specificity, c.specificity, 'specificity');
    m.perClass.forEach((pr, g) => { eq(pr.precision, c.precision[g]!, `precision ${g}`); eq(pr.recall, c.recall[g]!, `recall ${g}`); });
    m.confusionRowPercent.forEach((row, i) => row.forEach((v, j) => eq(v, c.confusionRowPercent[i]![j]!, `percent ${i},${j}`)));
    assert.equal(m.confusion, c.confusion);
    assert.is(m.referable.roc === null, c.roc === null);
    assert.equal(m.referable.operatingPoints.map((p) => [p.threshold, p.sensitivity, p.specificity]),
      c.operatingPoints.map((p) => [p.threshold, p.sensitivity, p.specificity]), `case ${k} operating points (null where undefined)`);
    assert.is(m.images, c.grades.length);
  }
});

test('ROC inputs are checked', () => {
  assert.throws(() => rocAuc([true, false], [0.5]), /2 labels but 1 scores/);
  assert.throws(() => rocCurve([true, false], [0.5, Number.NaN]), /score\[1\] = NaN is not a finite number/);
  assert.throws(() => referableMetrics([0, 2], [0], [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0]]), /2 grades, 1 predictions/);
});

test.run();
