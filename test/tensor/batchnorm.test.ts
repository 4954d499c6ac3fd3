// batchNorm against PyTorch goldens (train and eval, with and without affine parameters, fused
// ReLU, running-statistics update), finite differences, float32 accuracy and errors.
import { batchNorm, getDevice, noGrad, tensor, type Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, assertGolden, checkGoldenCase, goldenTensor, gradcheck, loadGolden, loadGoldenCases, randomArray } from '../helpers/index.ts';

interface BatchNormCase {
  name: string;
  training: boolean;
  affine: boolean;
  relu: boolean;
  momentum: number;
  eps: number;
}

await getDevice();
const golden = await loadGolden('data/cnn_batchnorm');
const cases = await loadGoldenCases<BatchNormCase>('data/cnn_batchnorm');

const fromGolden = (key: string): Tensor => { const g = goldenTensor(golden, key); return tensor(g.data, g.shape); };

for (const c of cases) {
  const shape = goldenTensor(golden, `${c.name}/in0`).shape;
  test(`batchNorm ${c.name} ${JSON.stringify(shape)} (${c.training ? 'train' : 'eval'}${c.affine ? ', affine' : ''}${c.relu ? ', relu' : ''}) matches PyTorch`, async () => {
    const runningMean = fromGolden(`${c.name}/runningMean`);
    const runningVar = fromGolden(`${c.name}/runningVar`);
    await checkGoldenCase(golden, c.name, (x, weight, bias) => batchNorm(x, runningMean, runningVar, weight ?? null, bias ?? null,
      { training: c.training, momentum: c.momentum, eps: c.eps, activation: c.relu ? 'relu' : 'none' }));
    assertGolden(await runningMean.toArray(), goldenTensor(golden, `${c.name}/newRunningMean`), `${c.name} running mean`);
    assertGolden(await runningVar.toArray(), goldenTensor(golden, `${c.name}/newRunningVar`), `${c.name} running var`);
    runningMean.dispose();
    runningVar.dispose();
  });
}

for (const training of [true, false]) {
  for (const activation of ['none', 'relu'] as const) {
    test(`batchNorm gradients (${training ? 'train' : 'eval'}, ${activation}) match finite differences`, async () => {
      const [n, c, h, w] = [3, 5, 4, 3];
      const runningMean = tensor(randomArray(c, 3, -0.3, 0.3), [c]);
      const runningVar = tensor(randomArray(c, 4, 0.5, 1.5), [c]);
      // Bias well away from zero keeps pre-activations clear of ReLU's kink under the finite-difference step.
      const bias = randomArray(c, 6, -1, 1).map((v) => (v < 0 ? v - 0.3 : v + 0.3));
      await gradcheck((x, wt, b) => batchNorm(x, runningMean, runningVar, wt, b, { training, activation }),
        [{ data: randomArray(n * c * h * w, 5, -2, 2), shape: [n, c, h, w] }, { data: randomArray(c, 7, 0.5, 1.5), shape: [c] },
          { data: bias, shape: [c] }], { eps: 1e-2, label: `batchNorm ${training ? 'train' : 'eval'} ${activation}` });
    });
  }
}

test('training statistics stay accurate in float32 for large means and many values per channel', async () => {
  // 2 x 3 x 128 x 128 values per channel around mean 1000 with std 0.5: E[x²] − E[x]² would lose everything.
  const [n, c, hw] = [2, 3, 128 * 128];
  const data = randomArray(n * c * hw, 21, -1, 1).map((v, i) => 1000 + (Math.floor(i / hw) % c) + 0.866 * v);
  const runningMean = tensor(new Float32Array(c), [c]);
  const runningVar = tensor(new Float32Array(c).fill(1), [c]);
  const y = noGrad(() => batchNorm(tensor(data, [n, c, 128, 128]), runningMean, runningVar, null, null, { training: true, momentum: 1 }));
  const mean = await runningMean.toArray();
  const variance = await runningVar.toArray();
  for (let ch = 0; ch < c; ch++) {
    let s = 0, s2 = 0, count = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) { s += data[(b * c + ch) * hw + i]!; count++; }
    const m = s / count;
    for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) s2 += (data[(b * c + ch) * hw + i]! - m) ** 2;
    // A float32 ulp at 1000 is 6e-5: allow 4 ulps.
    assert.ok(Math.abs(mean[ch]! - m) <= 2.5e-4, `channel ${ch} mean ${mean[ch]} vs ${m}`);
    assert.ok(Math.abs(variance[ch]! / (s2 / (count - 1)) - 1) <= 1e-4, `channel ${ch} unbiased variance ${variance[ch]} vs ${s2 / (count - 1)}`);
  }
  const out = await y.toArray();
  let s = 0, s2 = 0;
  for (let i = 0; i < hw; i++) { s += out[i]!; s2 += out[i]! ** 2; }
  assert.ok(Math.abs(s / hw) < 0.05 && Math.abs(s2 / hw - 1) < 0.05, 'normalised output of one plane has mean ~0 and variance ~1');
});

test('4.2M planes (a grid folded into z past 65,535 workgroups) are all normalised', async () => {
  const n = 4_200_000;
  const data = randomArray(n, 23, -3, 5);
  const runningMean = tensor([0], [1]);
  const runningVar = tensor([1], [1]);
  const y = await noGrad(() => batchNorm(tensor(data, [n, 1]), runningMean, runningVar, null, null, { training: true, momentum: 1 })).toArray();
  let s = 0;
  for (const v of data) s += v;
  const m = s / n;
  let s2 = 0;
  for (const v of data) s2 += (v - m) ** 2;
  assertClose([await runningMean.item(), await runningVar.item()], [m, s2 / (n - 1)], { rtol: 1e-4, label: 'mean and unbiased variance' });
  const invstd = 1 / Math.sqrt(s2 / n + 1e-5);
  const picks = [0, 1, 65535 * 64, n - 2, n - 1];
  assertClose(picks.map((i) => y[i]!), picks.map((i) => (data[i]! - m) * invstd), { rtol: 1e-4, atol: 1e-5, label: 'normalised values' });
});

test('bad arguments give errors naming the shapes', () => {
  const x = tensor(randomArray(2 * 3 * 4, 1), [2, 3, 4]);
  const three = tensor([0, 0, 0], [3]);
  const four = tensor([1, 1, 1, 1], [4]);
  assert.throws(() => batchNorm(tensor([1, 2], [2]), three, three, null, null), /batchNorm tensor \[2\]: expected \[N, C, \.\.\.\] input of rank >= 2/);
  assert.throws(() => batchNorm(x, four, three, null, null), /batchNorm tensor \[2, 3, 4\]: runningMean tensor \[4\] must be float32 of shape \[3\]/);
  assert.throws(() => batchNorm(x, three, three, null, four), /bias tensor \[4\] must be float32 of shape \[3\]/);
  assert.throws(() => batchNorm(tensor([1, 2, 3], [1, 3]), three, three, null, null, { training: true }), /batchNorm tensor \[1, 3\]: expected more than 1 value per channel when training/);
});

test.run();
