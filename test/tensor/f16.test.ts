// float16 tensors and the f16 matmul kernels: PyTorch's float16 rounding and half-precision
// matmul goldens (test/fixtures/gen_f16_goldens.py), and the float32 path on the same inputs.
// Where the adapter lacks shader-f16 (SwiftShader in Chromium), the clear error is what is checked.
import { cast, getDevice, hasF16, tensor, tidy } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadGolden } from '../helpers/index.ts';

const golden = await loadGolden('f16');
const g = (key: string) => { const t = golden.get(key); if (!t) throw new Error(`f16 golden: no ${key}`); return t.data; };

let f16 = false;
test.before(async () => { await getDevice(); f16 = hasF16(); });

/** The distance from |v| to the next float16 above it (subnormal spacing 2^-24 below 2^-14). */
function halfStep(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(a)) - 10);
}

/** |actual − expected| ≤ bound(i) elementwise, naming the worst element otherwise. */
function assertWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, bound: (i: number) => number, label: string): void {
  assert.is(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= bound(i))) assert.unreachable(`${label}: element ${i} got ${actual[i]}, expected ${expected[i]} (|diff| ${d.toExponential(3)} > ${bound(i).toExponential(3)})`);
  }
}

test('without shader-f16 a float16 tensor is refused with one clear line', () => {
  if (f16) return;
  assert.throws(() => tensor([1, 2], [2], { dtype: 'float16' }), (e: Error) => /float16 tensors need the WebGPU feature 'shader-f16'/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => tensor([1, 2], [2]).half(), /shader-f16/);
});

test('float32 -> float16 rounds as PyTorch does (normal, subnormal, ties to even, extremes); readback is exact', async () => {
  if (!f16) return;
  const x = g('cast.x');
  const h = tensor(x, [x.length], { dtype: 'float16' });
  assert.is(h.dtype, 'float16');
  // WGSL lets a conversion round to either neighbour of an inexact value: allow the other one, report how many.
  const ours = await h.toArray();
  const ref = g('cast.x_half');
  assertWithin(ours, ref, (i) => halfStep(x[i]!), 'cast');
  const exact = ref.filter((v, i) => v === ours[i]).length;
  assert.ok(exact >= ref.length - 2, `only ${exact} of ${ref.length} rounded as PyTorch does`);
  // Hand values: 1/3 -> 0x3555 = 0.333251953125; 2^-24 is the smallest subnormal; 1 + 2^-11 ties down to 1.
  const hand = await tensor([1 / 3, 2 ** -24, 1 + 2 ** -11, 65504, -2], [5], { dtype: 'float16' }).toArray();
  assert.equal([...hand], [0.333251953125, 2 ** -24, 1, 65504, -2]);
  // Back to float32 is exact, and so is a float16 -> float16 copy.
  assert.equal([...await h.float().toArray()], [...ours]);
  assert.equal([...await cast(h, 'float16').toArray()], [...ours]);
});

test('float16 storage: odd sizes, views, permute, pad and zeros keep their values', async () => {
  if (!f16) return;
  const v = [1, -2, 3.5, 0.25, 5, -6, 7, 8, 9];
  const h = tensor(v, [3, 3], { dtype: 'float16' });
  assert.is(h.describe(), 'tensor [3, 3] float16');
  assert.equal([...await h.reshape([9]).toArray()], v);
  assert.equal([...await h.transpose().toArray()], [1, 0.25, 7, -2, 5, 8, 3.5, -6, 9]);
  assert.equal([...await h.slice([1, 0], [3, 3]).toArray()], v.slice(3));
  assert.equal([...await h.pad([[0, 0], [1, 0]]).toArray()], [0, 1, -2, 3.5, 0, 0.25, 5, -6, 0, 7, 8, 9]);
  assert.equal([...await tensor([0], [1]).mul(0).half().toArray()], [0]);
  assert.throws(() => h.add(1), /must be float32/);
});

test('cast backward: the gradient comes back in the input dtype', async () => {
  if (!f16) return;
  const x = tensor([0.5, -1.25, 3], [3], { requiresGrad: true });
  tidy(() => {
    const y = x.half().float().mul(tensor([2, 3, 4], [3]));
    y.sum().backward();
  });
  assert.is(x.grad!.dtype, 'float32');
  assert.equal([...await x.grad!.toArray()], [2, 3, 4]);
});

test.run();
