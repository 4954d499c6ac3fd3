// Training end to end on a small synthetic set: the loss falls and validation beats chance,
// an interrupted and resumed run ends with the same weights, and a NaN loss stops the run
// with a clear message while keeping the last good checkpoint.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autotuneEnabled, clearAutotune, getDevice, setAutotune, tunePending } from '@drgrade/tensor';
import { decodeSafetensors, encodeSafetensorsHost, type HostEntry } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preset, resolveConfig, type DrgradeConfig } from '../../packages/drgrade/src/config/index.ts';
import { runTraining } from '../../packages/drgrade/src/train/cross-validation.ts';
import { CHECKPOINT, TrainingDivergedError } from '../../packages/drgrade/src/train/trainer.ts';
import { RunProblemError } from '../../packages/drgrade/src/train/run-problems.ts';

const quiet = { write: () => true, isTTY: false };

/** A DenseNet-FPN-HBP small enough to train in seconds on a CPU adapter, with the paper's loss. */
function smallConfig(over: Record<string, unknown> = {}): DrgradeConfig {
  return resolveConfig(preset('tiny')!, {
    data: { imageSize: 64, preprocess: { sigma: 2 }, augment: { rotation: 10 }, workers: 0 },
    model: { densenet: { growthRate: 8, blockConfig: [2, 2, 2], numInitFeatures: 16, bnSize: 2 }, fpn: { channels: 16 }, hbp: { dim: 32 }, embeddingDim: 16 },
    loss: { metric: { K: 2, warmupEpochs: 1 } },
    optim: { lr: 0.02, schedule: { type: 'constant', warmupEpochs: 0 } },
    train: { epochs: 3, batchSize: 8, evalBatchSize: 16, folds: 3, gradcamImages: 1 },
    ...over,
  }, 'test config');
}

let synthDir = '';
test.before(async () => {
  await getDevice();
  synthDir = mkdtempSync(join(tmpdir(), 'drgrade-train-'));
});

test('a short run lowers the training loss and its validation beats chance', async () => {
  const out = join(synthDir, 'learn');
  // Focal loss on SORD labels (the paper's loss without its metric term, which trap 6 of docs/reference.md shows can stall a model trained from scratch).
  const cfg = smallConfig({ loss: { metric: { weight: 0 } }, optim: { lr: 0.05, schedule: { type: 'constant', warmupEpochs: 0 } }, train: { epochs: 8, batchSize: 8, evalBatchSize: 16, folds: 3, gradcamImages: 1 } });
  const summary = await runTraining({ config: cfg, out, log: quiet, folds: [0], synthetic: { n: 120, size: 96, seed: 3 }, workers: 0 });
  const fold = summary.folds[0]!;
  const h = fold.history;
  assert.is(h.length, 8);
  assert.ok(h[h.length - 1]!.trainLoss < h[0]!.trainLoss, `train loss ${h.map((e) => e.trainLoss.toFixed(3)).join(' → ')}`);
  // Chance: always predicting the most frequent grade gives kappa 0.
  assert.ok(fold.kappa > 0.2, `validation kappa ${fold.kappa}; history ${JSON.stringify(h.map((e) => [e.trainLoss.toFixed(3), e.valKappa.toFixed(3)]))}`);
  assert.is(fold.gradcams.length, 1);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /Quadratic weighted kappa/);
});

test('selection on a validation split: the reported epoch is the best on that split, scored on the held-out fold; --final trains every image', async () => {
  const cfg = smallConfig({ train: { epochs: 3, batchSize: 8, evalBatchSize: 16, folds: 3, gradcamImages: 0, selection: 'validation', validationFraction: 0.25 } });
  const synthetic = { n: 48, size: 96, seed: 11 };
  const out = join(synthDir, 'select');
  const fold = (await runTraining({ config: cfg, out, log: quiet, folds: [2], synthetic, workers: 0 })).folds[0]!;
  assert.is(fold.selection, 'validation');
  const sel = fold.history.map((e) => e.selectionKappa!);
  assert.ok(sel.every((k) => Number.isFinite(k)), `selection kappas ${sel}`);
  // The last epoch among those with the best selection kappa (ties go to the later epoch).
  const best = sel.lastIndexOf(Math.max(...sel)) + 1;
  assert.is(fold.bestEpoch, best, `selection kappas ${sel}, held-out ${fold.history.map((e) => e.valKappa)}`);
  assert.is(fold.predictions!.length, fold.valImages);
  assert.ok(fold.trainImages < 48 - fold.valImages, 'the selection split is not trained on');

  const final = join(synthDir, 'final');
  await runTraining({ config: smallConfig({ train: { epochs: 2, batchSize: 8, evalBatchSize: 16, folds: 3, gradcamImages: 0, selection: 'last' } }), out: final, log: quiet, synthetic, workers: 0, final: true });
  const result = JSON.parse(readFileSync(join(final, 'final', 'result.json'), 'utf8')) as { trainImages: number; valImages: number; bestEpoch: number };
  assert.equal([result.trainImages, result.valImages, result.bestEpoch], [48, 0, 2]);
  const model = decodeSafetensors(readFileSync(join(final, 'final', 'model-best.safetensors')), 'final model');
  assert.is((JSON.parse(model.metadata.info!) as { fold: number }).fold, -1);
});

function weights(path: string): Map<string, number[]> {
  const f = decodeSafetensors(readFileSync(path), path);
  return new Map([...f.tensors].filter(([k]) => k.startsWith('model.')).map(([k, v]) => [k, Array.from(v.data)]));
}

test('kill after one epoch and --resume: the same weights as an uninterrupted run', async () => {
  const cfg = smallConfig();
  const synthetic = { n: 36, size: 96, seed: 5 };
  const a = join(synthDir, 'straight'), b = join(synthDir, 'resumed');
  await runTraining({ config: cfg, out: a, log: quiet, folds: [1], synthetic, workers: 0 });
  await runTraining({ config: cfg, out: b, log: quiet, folds: [1], synthetic, workers: 0, maxEpochsThisRun: 1 });
  await runTraining({ config: cfg, out: b, log: quiet, folds: [1], synthetic, workers: 0, resume: true });
  const wa = weights(join(a, 'fold-1', CHECKPOINT)), wb = weights(join(b, 'fold-1', CHECKPOINT));
  assert.is(wa.size, wb.size);
  let differing = 0;
  for (const [k, v] of wa) if (JSON.stringify(v) !== JSON.stringify(wb.get(k))) differing++;
  assert.is(differing, 0, `${differing} tensors differ`);
  const kernels = (dir: string) => (JSON.parse(readFileSync(join(dir, 'fold-1', 'result.json'), 'utf8')) as { kernels?: unknown }).kernels;
  assert.equal(kernels(b), { autotune: autotuneEnabled(), timed: 0 }, 'the resumed fold counts the kernels timed over both processes');
  assert.equal(kernels(a), kernels(b));
});

test('train.ema: the model file is the weights\' average, each epoch records both kappas, and a resumed run ends with the same average', async () => {
  const cfg = smallConfig({ train: { epochs: 2, batchSize: 8, evalBatchSize: 16, folds: 3, gradcamImages: 0, selection: 'last', ema: 0.9 } });
  const synthetic = { n: 36, size: 96, seed: 5 };
  const a = join(synthDir, 'ema-straight'), b = join(synthDir, 'ema-resumed');
  const summary = await runTraining({ config: cfg, out: a, log: quiet, folds: [1], synthetic, workers: 0 });
  await runTraining({ config: cfg, out: b, log: quiet, folds: [1], synthetic, workers: 0, maxEpochsThisRun: 1 });
  await runTraining({ config: cfg, out: b, log: quiet, folds: [1], synthetic, workers: 0, resume: true });
  const tensorsOf = (path: string, prefix: string) => {
    const f = decodeSafetensors(readFileSync(path), path);
    return new Map([...f.tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), Array.from(v.data)]));
  };
  const averageA = tensorsOf(join(a, 'fold-1', CHECKPOINT), 'ema.'), averageB = tensorsOf(join(b, 'fold-1', CHECKPOINT), 'ema.');
  const trained = tensorsOf(join(a, 'fold-1', CHECKPOINT), 'model.');
  const shipped = tensorsOf(join(a, 'fold-1', 'model-best.safetensors'), '');
  assert.equal([...averageA.keys()], [...trained.keys()]);
  let resumedDiffer = 0, shippedDiffer = 0, trainedDiffer = 0;
  for (const [k, v] of averageA) {
    if (JSON.stringify(v) !== JSON.stringify(averageB.get(k))) resumedDiffer++;
    if (JSON.stringify(v) !== JSON.stringify(shipped.get(k))) shippedDiffer++;
    if (!k.endsWith('num_batches_tracked') && JSON.stringify(v) !== JSON.stringify(trained.get(k))) trainedDiffer++;
  }
  assert.is(resumedDiffer, 0, `${resumedDiffer} averaged tensors differ after a resume`);
  assert.is(shippedDiffer, 0, 'the model file holds the average');
  assert.is(trainedDiffer, averageA.size - [...averageA.keys()].filter((k) => k.endsWith('num_batches_tracked')).length, 'every averaged weight differs from the trained one');
  const history = summary.folds[0]!.history;
  assert.ok(history.every((r) => Number.isFinite(r.rawValKappa) && Number.isFinite(r.valKappa)), JSON.stringify(history));
});

test('with the autotuner on, result.json counts the kernel choices timed mid-run; runs on decided choices repeat bit for bit', async () => {
  const cfg = smallConfig({ train: { epochs: 2, batchSize: 8, evalBatchSize: 16, folds: 3, gradcamImages: 0 } });
  const synthetic = { n: 36, size: 96, seed: 13 };
  const result = (dir: string) => JSON.parse(readFileSync(join(dir, 'fold-0', 'result.json'), 'utf8')) as { kernels?: { autotune: boolean; timed: number } };
  setAutotune({ enabled: true, persist: false });
  clearAutotune();
  try {
    const first = join(synthDir, 'tuning');
    await runTraining({ config: cfg, out: first, log: quiet, folds: [0], synthetic, workers: 0 });
    const { kernels } = result(first);
    assert.is(kernels?.autotune, true);
    assert.ok(kernels!.timed > 0, `the first run on an empty tuner times its shape classes: ${JSON.stringify(kernels)}`);
    await tunePending();
    const runs = [join(synthDir, 'decided-a'), join(synthDir, 'decided-b')];
    for (const out of runs) await runTraining({ config: cfg, out, log: quiet, folds: [0], synthetic, workers: 0 });
    for (const out of runs) assert.equal(result(out).kernels, { autotune: true, timed: 0 }, `${out}: every choice was decided before it started`);
    const [wa, wb] = runs.map((out) => weights(join(out, 'fold-0', CHECKPOINT)));
    let differing = 0;
    for (const [k, v] of wa!) if (JSON.stringify(v) !== JSON.stringify(wb!.get(k))) differing++;
    assert.is(differing, 0, `${differing} tensors differ between two runs on the same decided kernels`);
  } finally {
    clearAutotune();
    setAutotune({ enabled: false });
  }
});

/** A fold stopped after its first epoch: the run's options and its checkpoint's path. */
async function afterOneEpoch(name: string) {
  const run = { config: smallConfig(), out: join(synthDir, name), log: quiet, folds: [0], synthetic: { n: 36, size: 96, seed: 7 }, workers: 0 };
  await runTraining({ ...run, maxEpochsThisRun: 1 });
  return { run, path: join(run.out, 'fold-0', CHECKPOINT) };
}

/** What resuming the run threw (null if it did not). */
async function resumeError(run: Parameters<typeof runTraining>[0]): Promise<unknown> {
  try { await runTraining({ ...run, resume: true }); } catch (e) { return e; }
  return null;
}

test('a checkpoint whose optimiser state does not fit the model, or is kept by index (earlier drgrade), is refused in one line', async () => {
  const { run, path } = await afterOneEpoch('other-optimiser');
  const file = decodeSafetensors(readFileSync(path), path);
  const entries = new Map<string, HostEntry>([...file.tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
  const meta = JSON.parse(file.metadata.optimizer!) as { groups: { params: string[] }[] };
  const rewrite = (optimizer: unknown) => writeFileSync(path, encodeSafetensorsHost(entries, { ...file.metadata, optimizer: JSON.stringify(optimizer) }));
  // A group that names a parameter the model does not have (the state as another architecture kept it).
  const renamed = meta.groups[0]!.params.pop()!;
  meta.groups[0]!.params.push(`${renamed}_other`);
  rewrite(meta);
  let error = await resumeError(run);
  assert.instance(error, RunProblemError, String(error));
  assert.match((error as RunProblemError).message, new RegExp(`fold-0/checkpoint-last\\.safetensors: its optimiser state does not fit this model's parameters \\(\\w+: the saved state's group 0 and this optimiser's differ in '${renamed.replace(/\./g, '\\.')}'`));
  assert.not.match((error as RunProblemError).message, /\n/);
  // The layout before states were named: by parameter index.
  rewrite({ paramGroups: [{ params: [0], lr: 0.1 }], keys: [[0, 'exp_avg', 'optim.0.exp_avg']], numbers: [] });
  error = await resumeError(run);
  assert.instance(error, RunProblemError, String(error));
  assert.match((error as RunProblemError).message, /checkpoint-last\.safetensors: written by an earlier drgrade, which kept the optimiser's state by parameter index; it cannot be resumed/);
});

test('a NaN loss stops training with a clear message and keeps the last good checkpoint', async () => {
  const { run, path } = await afterOneEpoch('nan');
  // Poison the classifier as a diverging update would: weights near the float32 limit, finite (a
  // checkpoint holding NaN is refused on load), whose products overflow so that the next loss is NaN.
  const file = decodeSafetensors(readFileSync(path), path);
  const entries = new Map<string, HostEntry>();
  for (const [k, v] of file.tensors) entries.set(k, { shape: v.shape, data: k.endsWith('fc_concat.weight') ? v.data.map((_, i) => (i % 2 ? 3e38 : -3e38)) : v.data });
  writeFileSync(path, encodeSafetensorsHost(entries, file.metadata));
  const poisoned = readFileSync(path);
  const error = await resumeError(run);
  assert.instance(error, TrainingDivergedError, String(error));
  assert.match(String((error as Error).message), /the loss became NaN at epoch 2, batch 1; training stopped\. The last good checkpoint \(after epoch 1\) is kept/);
  assert.ok(Buffer.compare(poisoned, readFileSync(path)) === 0, 'the checkpoint was not overwritten');
});

test.run();
