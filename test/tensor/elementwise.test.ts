// Element-wise ops against float64 CPU references, broadcasting corner cases and gradients; ELU
// also against PyTorch goldens (test/fixtures/gen_backbone_goldens.py).
import { elu, getDevice, tensor, where, maximum, minimum, type Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, checkGoldenCase, gradcheck, loadGolden, loadGoldenCases, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

const unaryCases: [string, (t: Tensor) => Tensor, (x: number) => number, [number, number]][] = [
  ['neg', (t) => t.neg(), (x) => -x, [-3, 3]],
  ['exp', (t) => t.exp(), Math.exp, [-5, 5]],
  ['log', (t) => t.log(), Math.log, [0.01, 10]],
  ['sqrt', (t) => t.sqrt(), Math.sqrt, [0.01, 10]],
  ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), [0.01, 10]],
  ['abs', (t) => t.abs(), Math.abs, [-3, 3]],
  ['sign', (t) => t.sign(), Math.sign, [-3, 3]],
  ['relu', (t) => t.relu(), (x) => Math.max(x, 0), [-3, 3]],
  ['sigmoid', (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x)), [-20, 20]],
  ['tanh', (t) => t.tanh(), Math.tanh, [-30, 30]],
  ['square', (t) => t.square(), (x) => x * x, [-3, 3]],
  ['pow 3', (t) => t.pow(3), (x) => x ** 3, [-2, 2]],
  ['pow -2', (t) => t.pow(-2), (x) => x ** -2, [0.5, 2]],
  ['pow 0.5', (t) => t.pow(0.5), Math.sqrt, [0.1, 4]],
  ['clamp', (t) => t.clamp(-0.5, 0.25), (x) => Math.min(Math.max(x, -0.5), 0.25), [-1, 1]],
  ['elu', (t) => elu(t), (x) => (x > 0 ? x : Math.expm1(x)), [-6, 3]],
  ['elu alpha 0.3', (t) => elu(t, 0.3), (x) => (x > 0 ? x : 0.3 * Math.expm1(x)), [-6, 3]],
];

for (const [name, f, ref, [lo, hi]] of unaryCases) {
  test(`${name} forward matches float64 reference (odd size 1031)`, async () => {
    const x = randomArray(1031, name.length * 13 + 1, lo, hi);
    const y = await f(tensor(x, [1031])).toArray();
    assertClose(y, Array.from(x, ref), { rtol: 2e-6 * 8, atol: 1e-6, label: name });
  });
}

for (const [name, f, , [lo, hi]] of unaryCases) {
  if (name === 'sign') continue;
  test(`${name} gradient matches finite differences`, async () => {
    // Keep clear of kinks (relu, abs, clamp) so central differences are valid.
    const x = randomArray(37, name.length * 7 + 3, lo, hi).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v))
      .map((v) => (name === 'clamp' && (Math.abs(v + 0.5) < 0.05 || Math.abs(v - 0.25) < 0.05) ? v + 0.11 : v));
    await gradcheck(f, [{ data: x, shape: [37] }], { eps: name === 'tanh' || name === 'sigmoid' ? 1e-2 : 1e-3, label: name });
  });
}

test('elu keeps its relative precision near 0, where exp(x) − 1 would cancel', async () => {
  const x = randomArray(257, 29, -1e-3, 1e-3);
  const y = await elu(tensor(x, [257])).toArray();
  assertClose(y, Array.from(x, (v) => (v > 0 ? v : Math.expm1(v))), { rtol: 1e-6, atol: 0, label: 'elu near 0' });
});

for (const c of (await loadGoldenCases<{ name: string; op: string; alpha: number }>('data/cnn_backbone_ops')).filter((k) => k.op === 'elu')) {
  test(`elu alpha ${c.alpha} matches PyTorch forward and backward`, async () => {
    await checkGoldenCase(await loadGolden('data/cnn_backbone_ops'), c.name, (x) => elu(x, c.alpha));
  });
}

const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number][] = [
  ['add', (a, b) => a.add(b), (a, b) => a + b],
  ['sub', (a, b) => a.sub(b), (a, b) => a - b],
  ['mul', (a, b) => a.mul(b), (a, b) => a * b],
  ['div', (a, b) => a.div(b), (a, b) => a / b],
  ['maximum', (a, b) => maximum(a, b), Math.max],
  ['minimum', (a, b) => minimum(a, b), Math.min],
  ['lt', (a, b) => a.lt(b), (a, b) => Number(a < b)],
  ['ge', (a, b) => a.ge(b), (a, b) => Number(a >= b)],
];

const broadcastShapes: [number[], number[]][] = [
  [[5, 3], [5, 3]],
  [[5, 3], [3]],
  [[5, 1], [1, 7]],
  [[2, 1, 3, 1], [4, 1, 5]],
  [[1], [3, 2]],
  [[], [2, 3]],
  [[7, 1, 1, 2, 1, 3], [6, 1, 2, 5, 1]],
];

function refBroadcast(a: Float32Array, as: number[], b: Float32Array, bs: number[], f: (x: number, y: number) => number) {
  const rank = Math.max(as.length, bs.length);
  const pa = [...Array(rank - as.length).fill(1), ...as], pb = [...Array(rank - bs.length).fill(1), ...bs];
  const out = pa.map((d, i) => Math.max(d, pb[i]!));
  const n = out.reduce((x, y) => x * y, 1);
  const res = new Float64Array(n);
  const idx = new Array(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let rem = k;
    for (let d = rank - 1; d >= 0; d--) { idx[d] = rem % out[d]!; rem = Math.floor(rem / out[d]!); }
    let oa = 0, ob = 0;
    for (let d = 0; d < rank; d++) {
      oa = oa * pa[d]! + (pa[d] === 1 ? 0 : idx[d]);
      ob = ob * pb[d]! + (pb[d] === 1 ? 0 : idx[d]);
    }
    res[k] = f(a[oa]!, b[ob]!);
  }
  return { out, res };
}

for (const [name, f, ref] of binaryCases) {
  test(`${name} with broadcasting matches float64 reference`, async () => {
    for (const [sa, sb] of broadcastShapes) {
      const na = sa.reduce((x, y) => x * y, 1), nb = sb.reduce((x, y) => x * y, 1);
      const a = randomArray(na, na + 1), b = randomArray(nb, nb + 5, 0.5, 2);
      const y = f(tensor(a, sa), tensor(b, sb));
      const { out, res } = refBroadcast(a, sa, b, sb, ref);
      assert.equal([...y.shape], out, `${name} shape for ${JSON.stringify(sa)} and ${JSON.stringify(sb)}`);
      assertClose(await y.toArray(), res, { rtol: 1e-6, atol: 1e-7, label: `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}` });
    }
  });
  if (['lt', 'ge'].includes(name)) continue;
  test(`${name} gradient through broadcasting matches finite differences`, async () => {
    const a = randomArray(12, 3, -1, 1), b = randomArray(4, 9, 0.5, 2);
    await gradcheck(f, [{ data: a, shape: [3, 1, 4] }, { data: b.slice(0, 4), shape: [1, 4] }], { eps: 1e-3, label: name });
  });
}

test('scalar operands on either side', async () => {
  const x = tensor([1, 2, 4], [3]);
  assert.equal(Array.from(await x.add(1).toArray()), [2, 3, 5]);
  assert.equal(Array.from(await x.sub(1).toArray()), [0, 1, 3]);
  assert.equal(Array.from(await x.mul(-2).toArray()), [-2, -4, -8]);
  assert.equal(Array.from(await x.div(2).toArray()), [0.5, 1, 2]);
  assert.equal(Array.from(await x.eq(2).toArray()), [0, 1, 0]);
});

test('where selects with broadcasting and routes gradients', async () => {
  const cond = tensor([1, 0, 1, 0], [4, 1]);
  const a = tensor(randomArray(12, 41), [4, 3], { requiresGrad: true });
  const b = tensor(randomArray(3, 43), [3], { requiresGrad: true });
  const y = where(cond, a, b);
  const av = await a.toArray(), bv = await b.toArray();
  const expected = Array.from({ length: 12 }, (_, i) => ([1, 0, 1, 0][Math.floor(i / 3)] ? av[i]! : bv[i % 3]!));
  assertClose(await y.toArray(), expected, { rtol: 0, atol: 0 });
  y.sum().backward();
  assert.equal(Array.from(await a.grad!.toArray()), [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
  assert.equal(Array.from(await b.grad!.toArray()), [2, 2, 2]);
});

test('shape mismatch gives a clear error naming both shapes', () => {
  assert.throws(() => tensor([1, 2, 3], [3]).add(tensor([1, 2], [2])), /add: shapes \[3\] and \[2\] cannot be broadcast/);
});

test('large tensor (3M elements, > 65535 workgroups in x) is computed everywhere', async () => {
  const n = 3_000_017;
  const x = tensor(randomArray(n, 99), [n]);
  const y = await x.mul(2).add(1).toArray();
  const xv = await x.toArray();
  let bad = 0;
  for (let i = 0; i < n; i++) if (Math.abs(y[i]! - (2 * xv[i]! + 1)) > 1e-6) bad++;
  assert.is(bad, 0);
});

test.run();
