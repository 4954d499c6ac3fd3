// Test-time flips and the input pipeline are one path for prediction and evaluation: predict's
// flip average equals the average of plain predictions of the photograph flipped on the CPU
// (flipHorizontal / flipVertical, independent of the tensor flips), and evaluate() over a data
// loader gives predictImage's probabilities, with and without flips; and a model whose
// configuration says `train.tta` is graded with flips unless the caller says otherwise.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluationLoaderOptions, preprocessOptions } from '../../packages/drgrade/src/config/runtime.ts';
import { DataLoader } from '../../packages/drgrade/src/data/loader.ts';
import { readDataset } from '../../packages/drgrade/src/data/read-dataset.ts';
import { flipHorizontal, flipVertical } from '../../packages/drgrade/src/image/augment.ts';
import { decodeImage } from '../../packages/drgrade/src/image/decode.ts';
import { preprocessFundus } from '../../packages/drgrade/src/image/preprocess.ts';
import { predictImage, predictPreprocessed } from '../../packages/drgrade/src/infer/predict.ts';
import { decodeModelFile, type LoadedModel } from '../../packages/drgrade/src/train/checkpoint.ts';
import { evaluate } from '../../packages/drgrade/src/train/evaluate.ts';
import { GradingModel } from '../../packages/drgrade/src/train/model.ts';
import { repoRoot, sampleRoot } from './helpers.ts';

const maxDiff = (a: readonly number[], b: readonly number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

let loaded: LoadedModel;
test.before(async () => {
  await getDevice();
  const file = join(repoRoot(), 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors');
  loaded = decodeModelFile(readFileSync(file), file);
});
test.after(() => loaded.model.dispose());

const items = () => readDataset(sampleRoot()).items.slice(0, 4);

test('predict with flips averages the probabilities of the photograph and its horizontal, vertical and double flips', async () => {
  const { model, config } = loaded;
  let flipsMatter = 0;
  for (const item of items()) {
    const image = preprocessFundus(decodeImage(readFileSync(item.path)), preprocessOptions(config));
    const views = [image, flipHorizontal(image), flipVertical(image), flipVertical(flipHorizontal(image))];
    const plain = await Promise.all(views.map((v) => predictPreprocessed(model, v)));
    const expected = plain[0]!.probabilities.map((_, c) => plain.reduce((s, p) => s + p.probabilities[c]!, 0) / views.length);
    const got = await predictPreprocessed(model, image, { tta: true });
    assert.ok(maxDiff(got.probabilities, expected) < 1e-6, `${item.id}: ${got.probabilities} vs ${expected}`);
    assert.is(got.grade, expected.indexOf(Math.max(...expected)));
    flipsMatter = Math.max(flipsMatter, maxDiff(expected, plain[0]!.probabilities));
  }
  assert.ok(flipsMatter > 1e-4, `the flips change this model's output (by ${flipsMatter}), so the check above can tell them apart`);
});

test('evaluate over a loader of photographs gives predictImage\'s probabilities, with and without flips', async () => {
  const { model, config } = loaded;
  const photos = items();
  for (const tta of [false, true]) {
    const loader = new DataLoader(evaluationLoaderOptions(config, photos, { preprocessed: false, workers: 0 }));
    const ev = await evaluate(model, loader, { tta });
    await loader.close();
    assert.equal(ev.ids, photos.map((p) => p.id));
    for (const [i, item] of photos.entries()) {
      const p = await predictImage(model, decodeImage(readFileSync(item.path)), { tta });
      assert.ok(maxDiff(ev.probabilities[i]!, p.probabilities) < 1e-5, `${item.id} (flips ${tta}): evaluate ${ev.probabilities[i]} vs predict ${p.probabilities}`);
      assert.is(ev.predictions[i], p.grade);
    }
  }
});

test('a model configured with train.tta is graded with flips by default, in prediction and evaluation; tta false still turns them off', async () => {
  const { model, config } = loaded;
  assert.is(config.train.tta, false, 'the fixture model was evaluated without flips');
  const flipsModel = new GradingModel({ ...config, train: { ...config.train, tta: true } });
  flipsModel.loadStateDict(model.stateDict());
  try {
    const photos = items();
    for (const item of photos) {
      const image = preprocessFundus(decodeImage(readFileSync(item.path)), preprocessOptions(config));
      const [plain, flipped] = [await predictPreprocessed(model, image, { tta: false }), await predictPreprocessed(model, image, { tta: true })];
      assert.ok(maxDiff(plain.probabilities, flipped.probabilities) > 1e-4, `${item.id}: flips change this photograph's probabilities`);
      assert.ok(maxDiff((await predictPreprocessed(model, image)).probabilities, plain.probabilities) < 1e-6, `${item.id}: train.tta false → no flips by default`);
      assert.ok(maxDiff((await predictPreprocessed(flipsModel, image)).probabilities, flipped.probabilities) < 1e-6, `${item.id}: train.tta true → flips by default`);
      assert.ok(maxDiff((await predictPreprocessed(flipsModel, image, { tta: false })).probabilities, plain.probabilities) < 1e-6, `${item.id}: tta false overrides the model`);
    }
    const loader = new DataLoader(evaluationLoaderOptions(config, photos, { preprocessed: false, workers: 0 }));
    const [byDefault, withFlips] = [await evaluate(flipsModel, loader), await evaluate(model, loader, { tta: true })];
    await loader.close();
    for (const i of photos.keys()) assert.ok(maxDiff(byDefault.probabilities[i]!, withFlips.probabilities[i]!) < 1e-6, `evaluate: ${photos[i]!.id}`);
  } finally {
    flipsModel.dispose();
  }
});

test.run();
