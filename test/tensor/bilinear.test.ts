// Bilinear pooling ops (hbpInteraction, bilinearPool, signedSqrt, normalize) against PyTorch
// goldens forward and backward, finite differences, wide shapes, and errors.
import { bilinearPool, getDevice, hbpInteraction, normalize, signedSqrt, tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, checkGoldenCase, goldenTensor, gradcheck, loadGolden, loadGoldenCases, randomArray } from '../helpers/index.ts';

interface BilinearCase {
  name: string;
  op: 'hbp' | 'bilinearPool' | 'signedSqrt' | 'normalize';
  dim?: number;
}

await getDevice();
const golden = await loadGolden('data/cnn_bilinear');
const cases = await loadGoldenCases<BilinearCase>('data/cnn_bilinear');

for (const c of cases) {
  const shape = goldenTensor(golden, `${c.name}/in0`).shape;
  test(`${c.op} ${c.name} ${JSON.stringify(shape)}${c.dim !== undefined ? ` dim ${c.dim}` : ''} matches PyTorch`, async () => {
    await checkGoldenCase(golden, c.name, (x, y) => {
      if (c.op === 'hbp') return hbpInteraction(x, y!);
      if (c.op === 'bilinearPool') return bilinearPool(x);
      if (c.op === 'signedSqrt') return signedSqrt(x);
      return normalize(x, { dim: c.dim! });
    });
  });
}

test('hbpInteraction gradient matches finite differences', async () => {
  const shape = [2, 3, 5, 3];
  await gradcheck((a, b) => hbpInteraction(a, b), [{ data: randomArray(90, 1), shape }, { data: randomArray(90, 2), shape }],
    { eps: 1e-2, label: 'hbpInteraction' });
});

test('bilinearPool gradient matches finite differences (vec4 and scalar paths)', async () => {
  for (const shape of [[2, 5, 2, 4], [1, 6, 3, 3]]) {
    await gradcheck((x) => bilinearPool(x), [{ data: randomArray(shape.reduce((a, b) => a * b), 3), shape }],
      { eps: 1e-2, label: `bilinearPool ${JSON.stringify(shape)}` });
  }
});

test('signedSqrt and normalize gradients match finite differences', async () => {
  const x = randomArray(40, 4, 0.2, 3).map((v, i) => (i % 3 === 0 ? -v : v));
  await gradcheck((t) => signedSqrt(t), [{ data: x, shape: [4, 10] }], { eps: 1e-3, label: 'signedSqrt' });
  for (const dim of [0, 1, 2]) {
    await gradcheck((t) => normalize(t, { dim }), [{ data: randomArray(60, 5 + dim), shape: [3, 4, 5] }], { eps: 1e-2, label: `normalize dim ${dim}` });
  }
});

test('bilinearPool at VGG16 relu5_3 width (512 channels, 14x14) matches a float64 reference and is symmetric', async () => {
  const [c, l] = [512, 196];
  const data = randomArray(c * l, 9, 0, 1);
  const y = await bilinearPool(tensor(data, [1, c, 14, 14])).toArray();
  for (const [i, j] of [[0, 0], [3, 500], [511, 7], [255, 256], [511, 511]] as const) {
    let s = 0;
    for (let k = 0; k < l; k++) s += data[i * l + k]! * data[j * l + k]!;
    assertClose([y[i * c + j]!], [s / l], { rtol: 1e-5, label: `y[${i}, ${j}]` });
    assert.is(y[i * c + j], y[j * c + i]);
  }
});

test('hbpInteraction over a long spatial axis (64x64) matches a float64 reference', async () => {
  const [rows, l] = [6, 64 * 64];
  const a = randomArray(rows * l, 11), b = randomArray(rows * l, 12);
  const y = await hbpInteraction(tensor(a, [2, 3, 64, 64]), tensor(b, [2, 3, 64, 64])).toArray();
  const ref = Array.from({ length: rows }, (_, r) => { let s = 0; for (let k = 0; k < l; k++) s += a[r * l + k]! * b[r * l + k]!; return s; });
  assertClose(y, ref, { rtol: 1e-4, atol: 1e-4 });
});

test('bad arguments give errors naming the shapes', () => {
  const a = tensor(randomArray(24, 1), [1, 2, 3, 4]);
  assert.throws(() => hbpInteraction(a, tensor(randomArray(24, 2), [1, 2, 4, 3])), /hbpInteraction: tensor \[1, 2, 3, 4\] and tensor \[1, 2, 4, 3\] must have the same shape/);
  assert.throws(() => hbpInteraction(a, tensor([1, 2], [2])), /hbpInteraction: expected \[N, C, H, W\] feature maps, got tensor \[1, 2, 3, 4\] and tensor \[2\]/);
  assert.throws(() => bilinearPool(tensor([1, 2], [1, 2])), /bilinearPool: expected \[N, C, H, W\] feature maps, got tensor \[1, 2\]/);
  assert.throws(() => normalize(a, { dim: 4 }), /normalize: axis 4 is out of range for a tensor of rank 4/);
});

test.run();
