// maxPool2d, avgPool2d, adaptiveAvgPool2d and adaptiveMaxPool2d against PyTorch goldens (forward
// and backward), finite differences on fresh inputs, and errors for bad arguments.
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, getDevice, maxPool2d, tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGoldenCase, gradcheck, loadGolden, loadGoldenCases, randomArray } from '../helpers/index.ts';

type Pair = number | [number, number];

interface PoolCase {
  name: string;
  op: 'max' | 'avg' | 'adaptive';
  kernelSize: Pair;
  stride: Pair;
  padding: Pair;
  ceilMode: boolean;
  countIncludePad?: boolean;
  outputSize?: [number, number];
}

await getDevice();
const golden = await loadGolden('data/cnn_pool');
const cases = await loadGoldenCases<PoolCase>('data/cnn_pool');

for (const c of cases) {
  const what = c.op === 'adaptive' ? `to ${c.outputSize!.join('x')}`
    : `k ${JSON.stringify(c.kernelSize)} s ${JSON.stringify(c.stride)} p ${JSON.stringify(c.padding)}${c.ceilMode ? ' ceil' : ''}${c.op === 'avg' ? (c.countIncludePad ? ' include-pad' : ' exclude-pad') : ''}`;
  test(`${c.op} pool ${c.name} (${what}) matches PyTorch forward and backward`, async () => {
    const opts = { kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, ceilMode: c.ceilMode };
    await checkGoldenCase(golden, c.name, (x) => {
      if (c.op === 'max') return maxPool2d(x, opts);
      if (c.op === 'avg') return avgPool2d(x, { ...opts, countIncludePad: c.countIncludePad! });
      return adaptiveAvgPool2d(x, c.outputSize!);
    });
  });
}

// adaptive_max_pool2d cases from test/fixtures/gen_backbone_goldens.py (its ELU cases are in elementwise.test.ts).
const backboneGolden = await loadGolden('data/cnn_backbone_ops');
const adaptiveMaxCases = (await loadGoldenCases<{ name: string; op: string; outputSize: [number, number] }>('data/cnn_backbone_ops'))
  .filter((c) => c.op === 'adaptiveMax');

for (const c of adaptiveMaxCases) {
  test(`adaptive max pool ${c.name} (to ${c.outputSize.join('x')}) matches PyTorch forward and backward`, async () => {
    await checkGoldenCase(backboneGolden, c.name, (x) => adaptiveMaxPool2d(x, c.outputSize));
  });
}

/** Distinct values 0.01 apart in random order, so no window holds two maxima within the finite-difference step. */
function separated(n: number, seed: number): Float32Array {
  const keys = randomArray(n, seed);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
  const out = new Float32Array(n);
  order.forEach((src, rank) => { out[src] = (rank - n / 2) * 0.01; });
  return out;
}

test('maxPool2d gradient matches finite differences', async () => {
  const shape = [2, 3, 7, 8];
  await gradcheck((x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    [{ data: separated(2 * 3 * 7 * 8, 5), shape }], { eps: 1e-3, label: 'maxPool2d' });
});

test('avgPool2d gradient matches finite differences', async () => {
  const shape = [1, 3, 9, 6];
  for (const countIncludePad of [true, false]) {
    await gradcheck((x) => avgPool2d(x, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], ceilMode: true, countIncludePad }),
      [{ data: randomArray(54 * 3, 11), shape }], { eps: 1e-2, label: `avgPool2d countIncludePad ${countIncludePad}` });
  }
});

test('adaptiveAvgPool2d gradient matches finite differences', async () => {
  await gradcheck((x) => adaptiveAvgPool2d(x, [4, 3]), [{ data: randomArray(2 * 2 * 9 * 5, 13), shape: [2, 2, 9, 5] }],
    { eps: 1e-2, label: 'adaptiveAvgPool2d' });
});

test('adaptiveMaxPool2d gradient matches finite differences (overlapping windows, and global max pooling)', async () => {
  const shape = [2, 2, 9, 7];
  for (const out of [[4, 3], 1] as const) {
    await gradcheck((x) => adaptiveMaxPool2d(x, out), [{ data: separated(2 * 2 * 9 * 7, 19), shape }], { eps: 1e-3, label: `adaptiveMaxPool2d to ${out}` });
  }
});

test('maxPool2d without gradient tracking skips the index output and gives the same values', async () => {
  const data = randomArray(3 * 11 * 10, 17);
  const a = await maxPool2d(tensor(data, [1, 3, 11, 10]), { kernelSize: 3, stride: 2 }).toArray();
  const b = await maxPool2d(tensor(data, [1, 3, 11, 10], { requiresGrad: true }), { kernelSize: 3, stride: 2 }).toArray();
  assert.equal(Array.from(a), Array.from(b));
});

test('bad arguments give errors naming the shapes', () => {
  const x = tensor(randomArray(2 * 3 * 5 * 5, 3), [2, 3, 5, 5]);
  assert.throws(() => maxPool2d(tensor([1, 2, 3], [3]), { kernelSize: 2 }), /maxPool2d: expected an NCHW input of rank 4, got tensor \[3\]/);
  assert.throws(() => maxPool2d(x, { kernelSize: 3, padding: 2 }), /padding \[2, 2\] must be at most half of kernelSize \[3, 3\] \(input tensor \[2, 3, 5, 5\]\)/);
  assert.throws(() => avgPool2d(x, { kernelSize: 7 }), /avgPool2d: output of tensor \[2, 3, 5, 5\] .* would be 0x0; the input is too small/);
  assert.throws(() => avgPool2d(x, { kernelSize: 0 }), /kernelSize must be an integer >= 1/);
  assert.throws(() => adaptiveAvgPool2d(x, [0, 2]), /adaptiveAvgPool2d: outputSize must be an integer >= 1/);
  assert.throws(() => adaptiveMaxPool2d(tensor([1, 2, 3], [3]), 1), /adaptiveMaxPool2d: expected an NCHW input of rank 4, got tensor \[3\]/);
  assert.throws(() => adaptiveMaxPool2d(x, [2, -1]), /adaptiveMaxPool2d: outputSize must be an integer >= 1 or a pair of them, got \[2,-1\]/);
});

test.run();
