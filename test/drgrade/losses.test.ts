// Losses against PyTorch goldens (test/fixtures/gen_loss_goldens.py), forward and backward.
import { getDevice, tensor, type Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crossEntropy, focalLoss, softTripleLoss, sordLabels, combinedLoss } from '../../packages/drgrade/src/losses/index.ts';
import { assertClose, gradcheck, loadGolden, loadGoldenCases, randomArray, type GoldenTensor } from '../helpers/index.ts';

interface Case {
  kind: 'sord' | 'focal' | 'ce' | 'softtriple';
  key: string;
  grades: number[];
  phi?: 'squared' | 'absolute';
  scale?: number;
  soft?: boolean;
  gamma?: number;
  classWeights?: number[] | null;
  la?: number; tau?: number; margin?: number; K?: number;
}

let golden: Map<string, GoldenTensor>;
let cases: Case[];
test.before(async () => {
  await getDevice();
  golden = await loadGolden('losses');
  cases = await loadGoldenCases<Case>('losses');
});
const g = (k: string) => golden.get(k)!;
const t = (k: string, grad = false) => tensor(g(k).data, g(k).shape, { requiresGrad: grad });

test('SORD labels match the reference table and PyTorch', async () => {
  assertClose(await sordLabels([0, 2]).toArray(), [0.7213, 0.2654, 0.0132, 0.0001, 0.0000, 0.0103, 0.2076, 0.5642, 0.2076, 0.0103], { atol: 1e-4, rtol: 0 });
  for (const c of cases.filter((x) => x.kind === 'sord')) {
    const y = sordLabels(c.grades, { phi: c.phi!, scale: c.scale! });
    assertClose(await y.toArray(), g(`${c.key}.y`).data, { rtol: 1e-5, atol: 1e-7, label: c.key });
  }
  assert.throws(() => sordLabels([5]), /grade 5 at index 0 is not in 0..4/);
});

async function checkClassification(c: Case, f: (logits: Tensor, targets: Tensor | number[]) => Tensor) {
  const logits = t(`${c.key}.logits`, true);
  const targets = c.soft ? sordLabels(c.grades) : c.grades;
  const loss = f(logits, targets);
  assertClose([await loss.item()], g(`${c.key}.loss`).data, { rtol: 1e-5, atol: 1e-6, label: `${c.key} loss` });
  loss.backward();
  assertClose(await logits.grad!.toArray(), g(`${c.key}.grad`).data, { rtol: 1e-4, atol: 1e-6, label: `${c.key} grad` });
}

test('focal loss (hard and soft targets, γ 0/0.5/2/3, class weights) matches PyTorch forward and backward', async () => {
  for (const c of cases.filter((x) => x.kind === 'focal')) {
    await checkClassification(c, (l, y) => focalLoss(l, y, { gamma: c.gamma!, ...(c.classWeights ? { classWeights: c.classWeights } : {}) }));
  }
});

test('cross-entropy (hard and soft targets) matches PyTorch forward and backward', async () => {
  for (const c of cases.filter((x) => x.kind === 'ce')) await checkClassification(c, crossEntropy);
});

test('SoftTriple matches the official implementation (PyTorch) forward and backward', async () => {
  for (const c of cases.filter((x) => x.kind === 'softtriple')) {
    const x = t(`${c.key}.x`, true), centers = t(`${c.key}.centers`, true);
    const loss = softTripleLoss(x, centers, c.grades, { la: c.la!, gamma: c.gamma!, tau: c.tau!, margin: c.margin!, K: c.K! });
    assertClose([await loss.item()], g(`${c.key}.loss`).data, { rtol: 1e-4, atol: 1e-6, label: `${c.key} loss` });
    loss.backward();
    assertClose(await x.grad!.toArray(), g(`${c.key}.gradX`).data, { rtol: 1e-3, atol: 1e-5, label: `${c.key} grad x` });
    assertClose(await centers.grad!.toArray(), g(`${c.key}.gradCenters`).data, { rtol: 1e-3, atol: 1e-5, label: `${c.key} grad centers` });
  }
});

test('SoftTriple stays finite for a zero embedding and identical centres', async () => {
  const x = tensor(new Float32Array(2 * 4), [2, 4], { requiresGrad: true });
  const centers = tensor(new Float32Array(4 * 10).fill(0.5), [4, 10], { requiresGrad: true });
  const loss = softTripleLoss(x, centers, [0, 4], { K: 2 });
  assert.ok(Number.isFinite(await loss.item()));
  loss.backward();
  assert.ok(Array.from(await centers.grad!.toArray()).every(Number.isFinite));
  assert.ok(Array.from(await x.grad!.toArray()).every(Number.isFinite));
});

test('focal loss gradient on fresh random logits matches finite differences', async () => {
  const targets = sordLabels([0, 3, 4]);
  await gradcheck((l) => focalLoss(l, targets, { gamma: 2 }).reshape([1]), [{ data: randomArray(15, 77, -2, 2), shape: [3, 5] }], { eps: 1e-3 });
});

test('combined loss is α·SoftTriple + β·focal(SORD)', async () => {
  const logits = tensor(randomArray(15, 5), [3, 5]);
  const emb = tensor(randomArray(24, 6), [3, 8]);
  const centers = tensor(randomArray(8 * 15, 7), [8, 15]);
  const grades = [0, 2, 4];
  const parts = combinedLoss(logits, emb, centers, grades, { metricWeight: 0.5, focalWeight: 0.5, softTriple: { K: 3 } });
  const focal = await focalLoss(logits, sordLabels(grades), { gamma: 2 }).item();
  const metric = await softTripleLoss(emb, centers, grades, { K: 3 }).item();
  assertClose([await parts.total.item()], [0.5 * focal + 0.5 * metric], { rtol: 1e-5 });
  assert.throws(() => focalLoss(logits, [0, 1]), /2 targets for 3 rows/);
});

test.run();
