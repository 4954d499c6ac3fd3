// Movement ops: reshape, permute, expand, slice, concat, stack, pad, indexSelect — values and gradients.
import { concat, getDevice, stack, tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

test('reshape shares data and infers -1', async () => {
  const x = tensor(iota(24), [2, 3, 4]);
  const y = x.reshape([4, -1]);
  assert.equal([...y.shape], [4, 6]);
  assert.equal(Array.from(await y.toArray()), Array.from(iota(24)));
  assert.throws(() => x.reshape([5, -1]), /cannot reshape tensor \[2, 3, 4\]/);
});

test('permute matches an index-by-index reference (rank 4, odd sizes)', async () => {
  const shape = [2, 3, 5, 7];
  const x = tensor(iota(210), shape);
  const y = x.permute([3, 1, 0, 2]);
  assert.equal([...y.shape], [7, 3, 2, 5]);
  const out = await y.toArray();
  let k = 0, bad = 0;
  for (let a = 0; a < 7; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 2; c++) for (let d = 0; d < 5; d++) {
    const src = ((c * 3 + b) * 5 + d) * 7 + a;
    if (out[k++] !== src) bad++;
  }
  assert.is(bad, 0);
});

test('expand broadcasts and its gradient sums back', async () => {
  const x = tensor([1, 2, 3], [3, 1], { requiresGrad: true });
  const y = x.expand([2, 3, 4]);
  assert.equal([...y.shape], [2, 3, 4]);
  const v = await y.toArray();
  assert.equal(Array.from(v.slice(0, 8)), [1, 1, 1, 1, 2, 2, 2, 2]);
  y.sum().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [8, 8, 8]);
});

test('slice with negative bounds and steps; gradient scatters into zeros', async () => {
  const x = tensor(iota(30), [5, 6], { requiresGrad: true });
  const y = x.slice([1, -5], [-1, 6], [2, 2]);
  assert.equal([...y.shape], [2, 3]);
  assert.equal(Array.from(await y.toArray()), [7, 9, 11, 19, 21, 23]);
  y.sum().backward();
  const g = await x.grad!.toArray();
  assert.equal([...g].reduce((a, b) => a + b, 0), 6);
  assert.is(g[7], 1);
  assert.is(g[8], 0);
});

test('concat and stack along inner axes with gradients', async () => {
  const a = tensor(iota(6), [2, 3], { requiresGrad: true });
  const b = tensor(iota(4).map((v) => v + 100), [2, 2], { requiresGrad: true });
  const c = concat([a, b], 1);
  assert.equal([...c.shape], [2, 5]);
  assert.equal(Array.from(await c.toArray()), [0, 1, 2, 100, 101, 3, 4, 5, 102, 103]);
  c.mul(tensor([1, 2, 3, 4, 5], [5])).sum().backward();
  assert.equal(Array.from(await a.grad!.toArray()), [1, 2, 3, 1, 2, 3]);
  assert.equal(Array.from(await b.grad!.toArray()), [4, 5, 4, 5]);
  const s = stack([tensor([1, 2], [2]), tensor([3, 4], [2])], 1);
  assert.equal(await s.toNested(), [[1, 3], [2, 4]]);
  assert.throws(() => concat([a, tensor(iota(3), [3, 1])], 1), /concat: tensor \[3, 1\] does not match/);
});

test('concat\'s gradients follow the parts it was given, whatever the caller does to its array afterwards', async () => {
  const a = tensor([1, 2], [2], { requiresGrad: true });
  const b = tensor([3], [1], { requiresGrad: true });
  const parts = [a, b];
  const c = concat(parts);
  // A dense block's loop pushes each new map to the array it concatenates.
  parts.push(tensor([9], [1], { requiresGrad: true }));
  parts.reverse();
  c.mul(tensor([10, 20, 30], [3])).sum().backward();
  assert.equal(Array.from(await a.grad!.toArray()), [10, 20]);
  assert.equal(Array.from(await b.grad!.toArray()), [30]);
  assert.is(parts[0]!.grad, null);
});

test('pad with a value and its gradient', async () => {
  const x = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  const y = x.pad([[1, 0], [0, 2]], -1);
  assert.equal(await y.toNested(), [[-1, -1, -1, -1], [1, 2, -1, -1], [3, 4, -1, -1]]);
  y.mul(y).sum().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [2, 4, 6, 8]);
});

test('indexSelect gathers rows and accumulates repeated indices in backward', async () => {
  const x = tensor(iota(12), [4, 3], { requiresGrad: true });
  const idx = tensor(Int32Array.from([2, 0, 2]), [3]);
  const y = x.indexSelect(0, idx);
  assert.equal(await y.toNested(), [[6, 7, 8], [0, 1, 2], [6, 7, 8]]);
  y.sum().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0]);
  const z = x.indexSelect(1, tensor(Int32Array.from([1]), [1]));
  assert.equal(Array.from(await z.toArray()), [1, 4, 7, 10]);
});

test('permute, slice and pad gradients match finite differences', async () => {
  const d = randomArray(60, 11);
  await gradcheck((x) => x.permute([2, 0, 1]).slice([1], [4]).pad([[0, 1], [2, 0]]).square(), [{ data: d, shape: [3, 4, 5] }], { eps: 1e-3 });
});

test.run();
