// What a configuration means at run time (config/runtime.ts), checked against values worked out
// by hand from the presets and the configuration reference (docs/config.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PAPER, preset, resolveConfig, type DrgradeConfig } from '../../packages/drgrade/src/config/index.ts';
import {
  augmentOptions, evaluationLoaderOptions, normalization, preprocessOptions, trainingLoaderOptions, trainingWorkers,
} from '../../packages/drgrade/src/config/runtime.ts';
import type { DataItem } from '../../packages/drgrade/src/data/types.ts';

const withOverrides = (over: Record<string, unknown>): DrgradeConfig => resolveConfig(PAPER, over, 'test');
const items = (n: number): DataItem[] => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, path: `/x/i${i}.png`, grade: 0, group: `p${i}` }));

test('preprocessing: crop, Ben Graham with its sigma (null: the radius rule, off: no filter), mask, at the image size', () => {
  assert.equal(preprocessOptions(PAPER), { size: 512, sigma: 10, mask: false, crop: true });
  assert.equal(preprocessOptions(preset('tiny')!), { size: 128, sigma: 3, mask: false, crop: true });
  assert.equal(preprocessOptions(withOverrides({ data: { preprocess: { sigma: null, circleMask: true } } })), { size: 512, sigma: 'radius', mask: true, crop: true });
  assert.equal(preprocessOptions(withOverrides({ data: { preprocess: { benGraham: false, cropBorder: false } } })), { size: 512, sigma: null, mask: false, crop: false });
});

test('augmentation: the paper\'s crop, affine (grey fill after Ben Graham, black without), flips and jitter', () => {
  assert.equal(augmentOptions(PAPER), {
    resizedCrop: { scale: [0.8, 1], ratio: [0.9, 1.1] },
    affine: { degrees: 180, translate: [0.05, 0.05], scale: [0.95, 1.05], shear: 5, fill: 128 },
    hflip: 0.5, vflip: 0.5, colorJitter: null,
  });
  const other = augmentOptions(withOverrides({ data: { preprocess: { benGraham: false }, augment: { randomResizedCrop: false, vflip: false, colorJitter: 0.2 } } }));
  assert.is(other.resizedCrop, null);
  assert.is(other.affine!.fill, 0);
  assert.is(other.vflip, 0);
  assert.equal(other.colorJitter, { brightness: 0.2, contrast: 0.2, saturation: 0.2 });
});

test('normalisation and decoding threads', () => {
  assert.equal(normalization(PAPER), { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
  const tiny = preset('tiny')!;
  assert.is(trainingWorkers(tiny), 2, 'the configuration\'s count');
  assert.is(trainingWorkers(tiny, 0), 0, 'the count asked for wins');
  assert.is(trainingWorkers(PAPER), undefined, '-1: the loader\'s default');
});

test('loaders: training batches shuffled and augmented with a seed per fold; evaluation in order, unaugmented, in evaluation batches', () => {
  const cfg = withOverrides({ seed: 7, data: { balancedSampling: true }, train: { batchSize: 4, evalBatchSize: 9 } });
  const train = trainingLoaderOptions(cfg, items(10), 2, { preprocessed: true, workers: 1 });
  assert.equal({ ...train, items: train.items.length }, {
    imageSize: 512, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], preprocess: null, workers: 1,
    items: 10, batchSize: 4, shuffle: true, balance: 'classes', augment: augmentOptions(cfg), seed: 7002, dropLast: true,
  });
  assert.is(trainingLoaderOptions(cfg, items(3), null, { preprocessed: true }).seed, 7999, 'the model trained on every image');
  assert.is(trainingLoaderOptions(cfg, items(4), 0, { preprocessed: true }).dropLast, false, 'one batch is kept whole');
  const evaluation = evaluationLoaderOptions(cfg, items(5), { preprocessed: false });
  assert.equal({ ...evaluation, items: evaluation.items.length }, {
    imageSize: 512, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], preprocess: preprocessOptions(cfg), workers: undefined,
    items: 5, batchSize: 9, shuffle: false, augment: null, seed: 0,
  });
});

test.run();
