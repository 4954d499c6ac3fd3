// train.precision 'mixed': refused in one line on an adapter without shader-f16; on one with it
// (lavapipe in Node), a few epochs on a synthetic set lower the loss as the float32 run does,
// the checkpoint keeps float32 weights with the loss scale's state, and a run interrupted and
// resumed ends with the weights and loss scale of an uninterrupted one.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, hasF16 } from '@drgrade/tensor';
import { decodeSafetensors, encodeSafetensorsHost } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preset, resolveConfig, type DrgradeConfig } from '../../packages/drgrade/src/config/index.ts';
import { runTraining } from '../../packages/drgrade/src/train/cross-validation.ts';
import { checkPrecision } from '../../packages/drgrade/src/train/precision.ts';
import { CHECKPOINT } from '../../packages/drgrade/src/train/trainer.ts';
import { UserError } from '../../packages/drgrade/src/util/errors.ts';

const quiet = { write: () => true, isTTY: false };

function config(precision: 'float32' | 'mixed'): DrgradeConfig {
  return resolveConfig(preset('tiny')!, {
    data: { imageSize: 64, preprocess: { sigma: 2 }, workers: 0 },
    model: { densenet: { growthRate: 8, blockConfig: [2, 2, 2], numInitFeatures: 16, bnSize: 2 }, fpn: { channels: 16 }, hbp: { dim: 32 } },
    loss: { metric: { weight: 0 } },
    optim: { lr: 0.05, schedule: { type: 'constant', warmupEpochs: 0 } },
    train: { epochs: 4, batchSize: 8, evalBatchSize: 16, folds: 3, gradcamImages: 0, selection: 'last', precision },
  }, `test config (${precision})`);
}

test.before(async () => { await getDevice(); });

test('mixed precision on an adapter without shader-f16: one line naming the field and the feature', () => {
  const swiftShader = { name: 'SwiftShader Device (Subzero)', f16: false };
  assert.not.throws(() => checkPrecision(config('float32'), swiftShader));
  assert.throws(() => checkPrecision(config('mixed'), swiftShader), (e: Error) => e instanceof UserError && !e.message.includes('\n') &&
    e.message === 'train.precision \'mixed\' needs the WebGPU feature \'shader-f16\', which adapter "SwiftShader Device (Subzero)" does not offer; set train.precision to \'float32\'');
  assert.not.throws(() => checkPrecision(config('mixed'), { name: 'lavapipe', f16: true }));
});

test('mixed precision trains: the loss falls as float32\'s does; the checkpoint holds float32 weights and the loss scale', async () => {
  if (!hasF16()) return;
  const synthetic = { n: 48, size: 80, seed: 3 };
  const runs: Record<string, number[]> = {};
  let dir = '';
  for (const precision of ['float32', 'mixed'] as const) {
    const out = mkdtempSync(join(tmpdir(), `drgrade-${precision}-`));
    const fold = (await runTraining({ config: config(precision), out, log: quiet, folds: [0], synthetic, workers: 0 })).folds[0]!;
    runs[precision] = fold.history.map((e) => e.trainLoss);
    dir = out;
  }
  const [full, mixed] = [runs.float32!, runs.mixed!];
  const show = `float32 ${full.map((v) => v.toFixed(4)).join(' → ')}; mixed ${mixed.map((v) => v.toFixed(4)).join(' → ')}`;
  assert.ok(mixed[mixed.length - 1]! < mixed[0]!, `mixed loss does not fall: ${show}`);
  // Same data, order and initialisation: the runs differ only by float16 rounding (and any skipped
  // step), so each epoch's loss stays near float32's.
  mixed.forEach((v, i) => assert.ok(Math.abs(v - full[i]!) <= 0.1 * full[i]!, `epoch ${i + 1}: ${show}`));
  const file = decodeSafetensors(readFileSync(join(dir, 'fold-0', CHECKPOINT)), CHECKPOINT);
  for (const [name, t] of file.tensors) assert.ok(t.data instanceof Float32Array, `${name} is not float32`);
  const scaler = JSON.parse(file.metadata.state!).scaler as { scale: number; growthTracker: number };
  // 2^16 halves on each overflowing step and grows only after 2000 clean ones: a power of two ≤ 2^16.
  assert.ok(scaler.scale <= 2 ** 16 && Number.isInteger(Math.log2(scaler.scale)), `loss scale ${scaler.scale}`);
});

function checkpointOf(out: string): { weights: Map<string, string>; scale: number } {
  const file = decodeSafetensors(readFileSync(join(out, 'fold-0', CHECKPOINT)), CHECKPOINT);
  const weights = new Map([...file.tensors].filter(([k]) => k.startsWith('model.')).map(([k, t]) => [k, JSON.stringify(Array.from(t.data))]));
  return { weights, scale: (JSON.parse(file.metadata.state!).scaler as { scale: number }).scale };
}

test('mixed precision: stopped after one epoch and resumed, the same weights and loss scale as an uninterrupted run', async () => {
  if (!hasF16()) return;
  const cfg = resolveConfig(config('mixed'), { train: { epochs: 2 } }, 'test config (mixed, 2 epochs)');
  const synthetic = { n: 36, size: 80, seed: 4 };
  const straight = mkdtempSync(join(tmpdir(), 'drgrade-mixed-straight-'));
  const resumed = mkdtempSync(join(tmpdir(), 'drgrade-mixed-resumed-'));
  await runTraining({ config: cfg, out: straight, log: quiet, folds: [0], synthetic, workers: 0 });
  await runTraining({ config: cfg, out: resumed, log: quiet, folds: [0], synthetic, workers: 0, maxEpochsThisRun: 1 });
  await runTraining({ config: cfg, out: resumed, log: quiet, folds: [0], synthetic, workers: 0, resume: true });
  const a = checkpointOf(straight), b = checkpointOf(resumed);
  assert.is(b.scale, a.scale);
  assert.is(a.weights.size, b.weights.size);
  const differing = [...a.weights].filter(([k, v]) => b.weights.get(k) !== v).map(([k]) => k);
  assert.equal(differing, [], `${differing.length} tensors differ`);

  // These short runs never overflow, so their scale stays 2^16 and cannot tell a restored scale
  // from a fresh one: a checkpoint whose scale had fallen (as after overflowing steps) must
  // resume with that scale, which under 2000 clean steps does not grow back.
  const poked = mkdtempSync(join(tmpdir(), 'drgrade-mixed-poked-'));
  await runTraining({ config: cfg, out: poked, log: quiet, folds: [0], synthetic, workers: 0, maxEpochsThisRun: 1 });
  const path = join(poked, 'fold-0', CHECKPOINT);
  const file = decodeSafetensors(readFileSync(path), path);
  const state = JSON.parse(file.metadata.state!) as { scaler: { scale: number } };
  state.scaler.scale = 2 ** 10;
  writeFileSync(path, encodeSafetensorsHost(new Map([...file.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }])), { ...file.metadata, state: JSON.stringify(state) }));
  await runTraining({ config: cfg, out: poked, log: quiet, folds: [0], synthetic, workers: 0, resume: true });
  assert.is(checkpointOf(poked).scale, 2 ** 10);
});

test.run();
