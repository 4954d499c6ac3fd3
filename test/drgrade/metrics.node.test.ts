import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accuracy, confusionMatrix, perClassAccuracy, quadraticWeightedKappa } from 'drgrade';
import { readFixtureJson } from './helpers.ts';

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

test.run();
