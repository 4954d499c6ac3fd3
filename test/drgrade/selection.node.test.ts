// The validation split a fold selects its epoch on: carved from the training folds, patients
// whole, grades stratified, reproducible per fold, and never the held-out fold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, splitFold, stratifiedGroupKFold, UserError, type DataItem, type Grade } from 'drgrade';
import { preset, resolveConfig } from '../../packages/drgrade/src/config/index.ts';
import { selectionSplit } from '../../packages/drgrade/src/train/selection.ts';

function cohort(patients: number, seed: number): DataItem[] {
  const rng = new Rng(seed);
  const items: DataItem[] = [];
  for (let p = 0; p < patients; p++) {
    const g = rng.weighted([0.5, 0.15, 0.25, 0.06, 0.04]) as Grade;
    for (const eye of ['L', 'R']) items.push({ id: `P${p}_${eye}`, path: `/x/P${p}_${eye}.jpg`, grade: eye === 'L' || rng.chance(0.7) ? g : (rng.int(5) as Grade), group: `P${p}` });
  }
  return items;
}

const config = (selection: 'validation' | 'last', validationFraction = 0.2) =>
  resolveConfig(preset('tiny')!, { train: { selection, validationFraction } }, 'test');

test('validation: a fifth of the training patients, each patient whole, disjoint from the held-out fold', () => {
  const items = cohort(200, 3);
  const folds = stratifiedGroupKFold(items, 5, 0);
  const { train, validation: heldOut } = splitFold(items, folds, 1);
  const { fit, select } = selectionSplit(train, config('validation', 0.2), 1);
  assert.is(fit.length + select.length, train.length);
  const selected = new Set(select.map((i) => i.group));
  for (const i of fit) assert.not.ok(selected.has(i.group), `${i.group} is in both`);
  const held = new Set(heldOut.map((i) => i.id));
  for (const i of select) assert.not.ok(held.has(i.id), `${i.id} is held out`);
  const share = selected.size / new Set(train.map((i) => i.group)).size;
  assert.ok(share > 0.17 && share < 0.23, `patient share ${share}`);
  // Stratified: each grade's share in the selection split is near its share in the training folds.
  for (let g = 0; g < 5; g++) {
    const inTrain = train.filter((i) => i.grade === g).length / train.length;
    const inSelect = select.filter((i) => i.grade === g).length / select.length;
    assert.ok(Math.abs(inTrain - inSelect) < 0.05, `grade ${g}: ${inTrain.toFixed(3)} vs ${inSelect.toFixed(3)}`);
  }
});

test('the split is the same for a fold every time and differs between folds', () => {
  const train = cohort(120, 5);
  const ids = (fold: number): string => selectionSplit(train, config('validation'), fold).select.map((i) => i.id).sort().join();
  assert.is(ids(2), ids(2));
  assert.is.not(ids(2), ids(3));
});

test('last: every training image is trained on and nothing is held apart', () => {
  const train = cohort(50, 7);
  const { fit, select } = selectionSplit(train, config('last'), 0);
  assert.is(fit.length, train.length);
  assert.is(select.length, 0);
});

test('too few patients for the fraction is a user error naming the way out', () => {
  const train = cohort(3, 9);
  try {
    selectionSplit(train, config('validation', 0.2), 0);
    assert.unreachable('accepted 3 patients');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /train\.selection=last/);
  }
});

test.run();
