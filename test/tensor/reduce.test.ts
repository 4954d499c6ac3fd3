// Reductions against float64 references: any axis set, keepdim, accuracy over millions of elements.
import { getDevice, tensor, type Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, gradcheck, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

type Ref = (vals: number[]) => number;
const refs: Record<string, Ref> = {
  sum: (v) => v.reduce((a, b) => a + b, 0),
  mean: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  max: (v) => Math.max(...v),
  min: (v) => Math.min(...v),
  var: (v) => { const m = v.reduce((a, b) => a + b, 0) / v.length; return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length; },
  logsumexp: (v) => { const m = Math.max(...v); return m + Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0)); },
};

/** float64 reduction of `data` (shape) over `axes`, result in keepdim layout. */
function reduceRef(data: Float32Array, shape: number[], axes: number[], f: Ref): { shape: number[]; values: number[] } {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const n = outShape.reduce((a, b) => a * b, 1);
  const groups: number[][] = Array.from({ length: n }, () => []);
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < data.length; k++) {
    let rem = k;
    for (let d = shape.length - 1; d >= 0; d--) { idx[d] = rem % shape[d]!; rem = Math.floor(rem / shape[d]!); }
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * outShape[d]! + (axes.includes(d) ? 0 : idx[d]);
    groups[o]!.push(data[k]!);
  }
  return { shape: outShape, values: groups.map(f) };
}

const ops: Record<string, (t: Tensor, axes: number[], keepdim: boolean) => Tensor> = {
  sum: (t, a, k) => t.sum(a, k), mean: (t, a, k) => t.mean(a, k), max: (t, a, k) => t.max(a, k),
  min: (t, a, k) => t.min(a, k), var: (t, a, k) => t.var(a, k), logsumexp: (t, a, k) => t.logsumexp(a, k),
};

const cases: [number[], number[]][] = [
  [[7], [0]],
  [[5, 3], [1]],
  [[5, 3], [0]],
  [[2, 3, 4, 5], [1, 3]],
  [[2, 3, 4, 5], [0, 2, 3]],
  [[3, 1, 9], [1]],
  [[4, 6, 5], [0, 1, 2]],
  [[2, 70, 3], [1]],
  [[1, 5000], [1]],
];

for (const name of Object.keys(ops)) {
  test(`${name} over axis sets with and without keepdim`, async () => {
    for (const [shape, axes] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = randomArray(n, n + axes.length * 17, -2, 2);
      const { shape: kshape, values } = reduceRef(data, shape, axes, refs[name]!);
      for (const keepdim of [true, false]) {
        const y = ops[name]!(tensor(data, shape), axes, keepdim);
        const expectShape = keepdim ? kshape : shape.filter((_, i) => !axes.includes(i));
        assert.equal([...y.shape], expectShape, `${name} ${JSON.stringify(shape)} axes ${axes} keepdim ${keepdim}`);
        assertClose(await y.toArray(), values, { rtol: 1e-5, atol: 1e-5, label: `${name} ${JSON.stringify(shape)} axes ${axes}` });
      }
    }
  });
}

test('sum with no axes reduces everything; negative axes count from the end', async () => {
  const x = tensor(randomArray(24, 5), [2, 3, 4]);
  const all = await x.sum().toArray();
  const ref = Array.from(await x.toArray()).reduce((a, b) => a + b, 0);
  assertClose(all, [ref], { rtol: 1e-5 });
  assert.equal([...x.sum(-1).shape], [2, 3]);
});

test('float32 sum of 16.7M values stays accurate (tree reduction)', async () => {
  const n = 1 << 24;
  // 0.1 is not exact in float32; a serial float32 loop would drift by ~1e-2 relative here.
  const x = tensor(new Float32Array(n).fill(0.1), [n]);
  const s = await x.sum().item();
  const exact = n * Math.fround(0.1);
  assert.ok(Math.abs(s - exact) / exact < 1e-5, `sum ${s} vs ${exact}`);
  const m = await x.mean().item();
  assert.ok(Math.abs(m - Math.fround(0.1)) < 1e-6, `mean ${m}`);
});

test('argmax and argmin return int32 indices of the first extremum', async () => {
  const data = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 9];
  const x = tensor(data, [3, 4]);
  const am = x.argmax(1);
  assert.is(am.dtype, 'int32');
  assert.equal(Array.from(await am.toArray()), [2, 1, 3]);
  assert.equal(Array.from(await x.argmin(0).toArray()), [0, 0, 1, 0]);
  assert.equal(Array.from(await tensor([9, 2, 9, 1], [4]).argmax(0).toArray()), [0]);
});

for (const name of ['sum', 'mean', 'max', 'var', 'logsumexp']) {
  test(`${name} gradient matches finite differences`, async () => {
    const data = randomArray(60, name.length * 3 + 1, -2, 2);
    await gradcheck((x) => ops[name]!(x, [0, 2], false), [{ data, shape: [3, 4, 5] }], { eps: 1e-3, label: name });
  });
}

test('max gradient splits equally among ties (as torch.amax)', async () => {
  const x = tensor([1, 3, 3, 2], [4], { requiresGrad: true });
  x.max().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [0, 0.5, 0.5, 0]);
});

test.run();
