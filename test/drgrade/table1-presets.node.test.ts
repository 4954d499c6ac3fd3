// Table 1's DFL, PMG and AG_Net rows train end to end: each preset, narrowed and at 64 px, runs a
// one-epoch fold on a small synthetic set through its training scheme (DFL's filter-bank
// initialisation, PMG's four progressive steps per batch, AG_Net's summed member losses) and
// draws a Grad-CAM at its default layer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, tensor } from '@drgrade/tensor';
import { SGD } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preset, resolveConfig, type DrgradeConfig } from '../../packages/drgrade/src/config/index.ts';
import { runTraining } from '../../packages/drgrade/src/train/cross-validation.ts';
import { GradingModel } from '../../packages/drgrade/src/train/model.ts';
import { StepPrecision } from '../../packages/drgrade/src/train/precision.ts';
import { trainingScheme } from '../../packages/drgrade/src/train/scheme.ts';

const quiet = { write: () => true, isTTY: false };

function small(name: string): DrgradeConfig {
  return resolveConfig(preset(name)!, {
    data: { imageSize: 64, preprocess: { sigma: 2 }, workers: 0 },
    model: { resnet: { widthDivisor: 16 }, agNet: { widthDivisor: 8 }, pmg: { featureSize: 16 }, dfl: { k: 2 } },
    train: { epochs: 1, batchSize: 4, evalBatchSize: 8, folds: 2, gradcamImages: 1, selection: 'last' },
  }, `${name} (small)`);
}

test.before(async () => { await getDevice(); });

for (const name of ['dfl-resnet50', 'pmg-resnet50', 'ag-net']) {
  test(`${name}: a one-epoch fold trains, evaluates and draws a Grad-CAM`, async () => {
    const out = mkdtempSync(join(tmpdir(), `drgrade-${name}-`));
    const fold = (await runTraining({ config: small(name), out, log: quiet, folds: [0], synthetic: { n: 12, size: 80, seed: 5 }, workers: 0 })).folds[0]!;
    assert.is(fold.history.length, 1);
    assert.ok(Number.isFinite(fold.history[0]!.trainLoss), `train loss ${fold.history[0]!.trainLoss}`);
    assert.ok(Number.isFinite(fold.kappa) || fold.predictions!.every((p) => p.predicted === fold.predictions![0]!.predicted), `kappa ${fold.kappa}`);
    assert.is(fold.gradcams.length, 1);
  });
}

test('PMG\'s scheme takes four optimiser steps per batch, one per classifier, each on its own term', async () => {
  const cfg = small('pmg-resnet50');
  const model = new GradingModel(cfg);
  const optimizer = new SGD(model.parameters(), { lr: 0.01 });
  const stepped: string[] = [];
  const step = optimizer.step.bind(optimizer);
  // Which classifier's last layer got a gradient at each step tells which term the step trained.
  const last = ['classifier1', 'classifier2', 'classifier3', 'classifier_concat'].map((c) => model.net.getSubmodule(`head.${c}.4`).parameters()[0]!);
  optimizer.step = () => { stepped.push(last.map((p) => (p.grad ? '1' : '0')).join('')); step(); };
  const images = tensor(new Float32Array(2 * 3 * 64 * 64).map((_, i) => Math.sin(i)), [2, 3, 64, 64]);
  const loss = await trainingScheme(cfg).trainBatch({ model, optimizer, images, grades: [0, 3], epoch: 0, precision: new StepPrecision(cfg) });
  assert.equal(stepped, ['1000', '0100', '0010', '0001']);
  assert.ok(Number.isFinite(await loss.item()));
  [loss, images].forEach((t) => t.dispose());
  model.dispose();
  optimizer.dispose();
});

test.run();
